/// Where a rollout stands. The raw values are the contract: every API answer and message spells them so.
public enum RolloutPhase: String, Codable, Sendable, CaseIterable {
    case idle
    case observing
    case paused
    case awaitingHuman = "awaiting-human"
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
    case promoted

    /// A run is under way: traffic may be split and the rollout listens to its alerts.
    public var isActive: Bool {
        switch self {
        case .observing, .paused, .awaitingHuman, .rollingBack: true
        case .idle, .rolledBack, .promoted: false
        }
    }
}

/// Why a rollout is in its phase, where the phase alone does not say.
public enum PhaseReason: String, Codable, Sendable, CaseIterable {
    /// A gate or breaker alert fires.
    case alert
    /// A human paused it.
    case manual
    /// The circuit breaker tripped: a human must decide.
    case breaker
    /// The next weight needs a human's approval.
    case approval
    /// An abort alert fired.
    case abort
    /// A human asked for it.
    case human
    /// Nobody answered within `autoRollbackAfter`.
    case timeout
    /// Every alert that held the rollout resolved.
    case resolved
    /// The last step baked without trouble.
    case completed
}
