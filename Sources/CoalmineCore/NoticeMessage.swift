/// A notice ready to send: what happened, the facts a human needs, and the links to act on it. Every provider
/// format renders this same content in its own way.
public struct NoticeMessage: Sendable {
    public var notice: RolloutNotice
    public var rollout: RolloutSpec
    public var links: [ActionLink]
    public var statusURL: String
    public var sentAt: Timestamp

    public init(notice: RolloutNotice, rollout: RolloutSpec, links: [ActionLink], statusURL: String, sentAt: Timestamp) {
        self.notice = notice
        self.rollout = rollout
        self.links = links
        self.statusURL = statusURL
        self.sentAt = sentAt
    }

    public enum Severity: Sendable {
        case critical, warning, good, info
    }

    public var severity: Severity {
        switch notice.kind {
        case .awaitingHuman, .rollingBack, .rollbackStuck: .critical
        case .reminder: notice.reason == .breaker ? .critical : .warning
        case .paused, .approvalNeeded, .driftCorrected: .warning
        case .rolledBack, .promoted, .resumed, .breakerCleared: .good
        case .started, .stepAdvanced, .test: .info
        }
    }

    /// One line: the rollout and what happened, e.g. "tf-model-service: circuit breaker tripped ...".
    public var title: String { "\(rollout.name): \(NoticeText.headline(notice, at: sentAt))" }

    /// Label and value pairs, in the order a human reads them.
    public var facts: [(label: String, value: String)] {
        let state = notice.reason.map { "\(notice.phase.rawValue) (\($0.rawValue))" } ?? notice.phase.rawValue
        let stable = notice.stableVersion.map { " \($0)" } ?? ""
        let canary = notice.canaryVersion.map { " \($0)" } ?? ""
        var facts: [(String, String)] = [
            ("Rollout", "\(rollout.name) in \(rollout.namespace), run \(notice.run)"),
            ("State", "\(state) since \(notice.since.rfc3339)"),
            (
                "Traffic",
                notice.isInHeaderStage
                    ? "\(notice.headerRoute!.audience) → \(rollout.canary)\(canary); everyone else → \(rollout.stable)\(stable) 100 %"
                    : "\(rollout.stable)\(stable) \(100 - notice.canaryWeightAfter) % · \(rollout.canary)\(canary) \(notice.canaryWeightAfter) %"
            ),
        ]
        if notice.canaryWeightBefore != notice.canaryWeightAfter {
            facts.append(("Canary weight", "\(notice.canaryWeightBefore) % → \(notice.canaryWeightAfter) %"))
        }
        if let alert = notice.alert {
            var cause = "\(alert.name) (\(alert.role.rawValue))"
            // Annotations can be any length; no message needs more than this of them.
            if let summary = alert.summary { cause += ": \(TextLimit.characters(summary, 2000))" }
            if let value = alert.value { cause += " [value \(TextLimit.characters(value, 200))]" }
            facts.append(("Alert", cause))
        }
        facts.append(("By", notice.actor))
        if let detail = notice.detail { facts.append(("Detail", detail)) }
        if let at = notice.autoRollbackAt { facts.append(("Rolls back without a human at", at.rfc3339)) }
        if let expiry = links.first?.expiresAt { facts.append(("Links expire", expiry.rfc3339)) }
        return facts
    }
}
