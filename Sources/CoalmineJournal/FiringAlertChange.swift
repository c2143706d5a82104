import CoalmineCore

/// A change to the exact set of a rollout's firing alerts, which the store keeps in a table of its own: a
/// transition then carries only the first few, and its size does not grow with a storm. A change names the alert
/// it replaces or ends, not only its fingerprint: the embedded store finds a firing alert by when it was received.
public enum FiringAlertChange: Equatable, Sendable {
    /// An alert whose fingerprint was not firing begins to fire. `receivedIn`: the index, in its unit's entries,
    /// of the `alert-received` entry whose body the alert was made from with `FiringAlert(observation:role:
    /// receivedAt:)`, if there is one; the embedded store then keeps a reference to that entry instead of a copy.
    case starts(rollout: String, FiringAlert, receivedIn: Int? = nil)
    /// A firing alert changed (acknowledged), or a new episode of a firing fingerprint replaces the old one.
    case fires(rollout: String, FiringAlert, replacing: FiringAlert)
    case ends(rollout: String, FiringAlert)

    public var rollout: String {
        switch self {
        case .starts(let rollout, _, _), .fires(let rollout, _, _), .ends(let rollout, _): rollout
        }
    }

    /// What turns `old` into `new`, in one pass over each.
    public static func between(_ old: FiringAlerts, _ new: FiringAlerts, of rollout: String) -> [FiringAlertChange] {
        guard old != new else { return [] }
        var changes: [FiringAlertChange] = []
        for alert in new {
            switch old[fingerprint: alert.fingerprint] {
            case nil: changes.append(.starts(rollout: rollout, alert))
            case alert: continue
            case let replaced?: changes.append(.fires(rollout: rollout, alert, replacing: replaced))
            }
        }
        for alert in old where new[fingerprint: alert.fingerprint] == nil {
            changes.append(.ends(rollout: rollout, alert))
        }
        return changes
    }
}
