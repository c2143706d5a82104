import CoalmineCore

/// A change to the exact set of a rollout's firing alerts, which the store keeps in a table of its own: a
/// transition then carries only the first few, and its size does not grow with a storm.
public enum FiringAlertChange: Equatable, Sendable {
    /// An alert whose fingerprint was not firing begins to fire.
    case starts(rollout: String, FiringAlert)
    /// A firing alert changed (acknowledged), or a new episode of a firing fingerprint replaces the old one.
    case fires(rollout: String, FiringAlert)
    case ends(rollout: String, fingerprint: String)

    public var rollout: String {
        switch self {
        case .starts(let rollout, _), .fires(let rollout, _), .ends(let rollout, _): rollout
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
            default: changes.append(.fires(rollout: rollout, alert))
            }
        }
        for alert in old where new[fingerprint: alert.fingerprint] == nil {
            changes.append(.ends(rollout: rollout, fingerprint: alert.fingerprint))
        }
        return changes
    }
}
