import CoalmineCore

/// A change to the exact set of a rollout's firing alerts, which the store keeps in a table of its own: a
/// transition then carries only the first few, and its size does not grow with a storm.
public enum FiringAlertChange: Equatable, Sendable {
    /// The alert fires, or changed while firing (acknowledged). A new episode of a fingerprint replaces the old.
    case fires(rollout: String, FiringAlert)
    case ends(rollout: String, fingerprint: String)

    /// What turns `old` into `new`, in one pass over each.
    public static func between(_ old: FiringAlerts, _ new: FiringAlerts, of rollout: String) -> [FiringAlertChange] {
        guard old != new else { return [] }
        var changes: [FiringAlertChange] = []
        for alert in new where old[fingerprint: alert.fingerprint] != alert {
            changes.append(.fires(rollout: rollout, alert))
        }
        for alert in old where new[fingerprint: alert.fingerprint] == nil {
            changes.append(.ends(rollout: rollout, fingerprint: alert.fingerprint))
        }
        return changes
    }
}
