/// What the machine asks the outside world to do. Effects are stored in the journal's outbox in the same
/// transaction as the transition that asked for them, and re-run after a crash until done, so each must be
/// safe to run twice.
public enum RolloutEffect: Codable, Equatable, Sendable {
    case setWeights(WeightSplit)
    case notify(RolloutNotice)
}

/// The traffic split of one run: integer weights summing to 100, and the header route that sends matching
/// requests to the canary whatever the weights (nil: none).
public struct WeightSplit: Codable, Equatable, Sendable {
    public var run: Int
    public var canary: Int
    public var headerRoute: HeaderMatch?
    public var stable: Int { 100 - canary }

    public init(run: Int, canary: Int, headerRoute: HeaderMatch? = nil) {
        self.run = run
        self.canary = canary
        self.headerRoute = headerRoute
    }
}

/// Something a human should hear about, with what they need to act on it.
public struct RolloutNotice: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case started
        case stepAdvanced = "step-advanced"
        case paused
        case resumed
        case awaitingHuman = "awaiting-human"
        case reminder
        case breakerCleared = "breaker-cleared"
        case approvalNeeded = "approval-needed"
        case rollingBack = "rolling-back"
        case rolledBack = "rolled-back"
        case rollbackStuck = "rollback-stuck"
        case driftCorrected = "drift-corrected"
        case promoted
        /// Sent by `coalmine notify-test`, never by a rollout.
        case test
    }

    public var kind: Kind
    public var run: Int
    public var phase: RolloutPhase
    public var reason: PhaseReason?
    /// The state version the notice describes; links offered with it are bound to it.
    public var stateVersion: Int
    public var canaryWeightBefore: Int
    public var canaryWeightAfter: Int
    public var actor: String
    /// The alert that caused it, if one did.
    public var alert: FiringAlert?
    /// What a human may do now.
    public var allowedActions: [HumanAction]
    public var since: Timestamp
    public var autoRollbackAt: Timestamp?
    public var canaryVersion: String?
    public var stableVersion: String?
    /// A human-given reason, or the router's error for a stuck rollback.
    public var detail: String?
    /// The header route in force after the change, if any.
    public var headerRoute: HeaderMatch?

    /// Whether only header-matched requests reach the canary (a header stage).
    public var isInHeaderStage: Bool { headerRoute != nil && canaryWeightAfter == 0 }

    public init(
        kind: Kind, run: Int, phase: RolloutPhase, reason: PhaseReason?, stateVersion: Int, canaryWeightBefore: Int,
        canaryWeightAfter: Int, actor: String, alert: FiringAlert?, allowedActions: [HumanAction], since: Timestamp,
        autoRollbackAt: Timestamp?, canaryVersion: String?, stableVersion: String?, detail: String?,
        headerRoute: HeaderMatch? = nil
    ) {
        self.kind = kind
        self.run = run
        self.phase = phase
        self.reason = reason
        self.stateVersion = stateVersion
        self.canaryWeightBefore = canaryWeightBefore
        self.canaryWeightAfter = canaryWeightAfter
        self.actor = actor
        self.alert = alert
        self.allowedActions = allowedActions
        self.since = since
        self.autoRollbackAt = autoRollbackAt
        self.canaryVersion = canaryVersion
        self.stableVersion = stableVersion
        self.detail = detail
        self.headerRoute = headerRoute
    }
}
