import CoalmineCore

/// The plain-text rendering of a notice: what the log notifier prints and what rich formats start from.
public enum NoticeText {
    public static func headline(_ notice: RolloutNotice) -> String {
        switch notice.kind {
        case .started: "canary run \(notice.run) started"
        case .stepAdvanced: "canary weight \(notice.canaryWeightBefore) % → \(notice.canaryWeightAfter) %"
        case .paused: notice.reason == .manual ? "paused by \(notice.actor)" : "paused: an alert fires"
        case .resumed: notice.phase == .paused ? "resumed, but still held by a firing alert" : "resumed"
        case .awaitingHuman: "circuit breaker tripped: traffic growth stopped, a human must decide"
        case .reminder: "reminder: still waiting for a human decision"
        case .breakerCleared: "breaker alert resolved; still waiting for a human decision"
        case .approvalNeeded: "approval needed before the next weight"
        case .rollingBack: "rolling back: canary weight \(notice.canaryWeightBefore) % → 0 %"
        case .rolledBack: "rolled back: all traffic is on the stable version"
        case .rollbackStuck: "rollback stuck: the router keeps failing"
        case .promoted: "promoted: all traffic is on the canary version"
        }
    }

    /// Several lines: headline, traffic, cause, and what a human can do.
    public static func render(_ notice: RolloutNotice, about rollout: RolloutSpec) -> String {
        let state = notice.reason.map { "\(notice.phase.rawValue) (\($0.rawValue))" } ?? notice.phase.rawValue
        var lines = ["[\(rollout.name) run \(notice.run)] \(headline(notice))"]
        let stable = notice.stableVersion.map { " (\($0))" } ?? ""
        let canary = notice.canaryVersion.map { " (\($0))" } ?? ""
        lines.append(
            "  \(rollout.namespace)/\(rollout.virtualService): \(rollout.stableSubset)\(stable) \(100 - notice.canaryWeightAfter) %"
                + " · \(rollout.canarySubset)\(canary) \(notice.canaryWeightAfter) %")
        lines.append("  state \(state) since \(notice.since.rfc3339), by \(notice.actor)")
        if let alert = notice.alert {
            var cause = "  alert \(alert.name) (\(alert.role.rawValue))"
            if let summary = alert.summary { cause += ": \(summary)" }
            if let value = alert.value { cause += " [value \(value)]" }
            lines.append(cause)
        }
        if let detail = notice.detail { lines.append("  \(detail)") }
        if let at = notice.autoRollbackAt { lines.append("  rolls back without a human at \(at.rfc3339)") }
        if !notice.allowedActions.isEmpty {
            let commands = notice.allowedActions.map { "coalmine \($0.rawValue) \(rollout.name)" }
            lines.append("  allowed now: " + commands.joined(separator: " | "))
        }
        return lines.joined(separator: "\n")
    }
}
