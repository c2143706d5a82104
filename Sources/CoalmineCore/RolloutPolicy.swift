/// How a rollout progresses and when it stops: the `defaults:` block, overridable per rollout.
public struct RolloutPolicy: Equatable, Sendable {
    /// The canary weight of each step, strictly increasing and ending at 100.
    public var steps: [Int]
    /// How long each step runs before the next.
    public var bake: Duration
    /// Weights that a human must approve before they are applied.
    public var requireApprovalBefore: [Int]
    public var breaker: BreakerPolicy
    public var awaitingHuman: EscalationPolicy
    /// Header-matched requests to the canary before the first weighted step; nil goes straight to the first step.
    public var headerStage: HeaderStage?

    public init(
        steps: [Int] = [5, 10, 30, 50, 100],
        bake: Duration = .seconds(24 * 3600),
        requireApprovalBefore: [Int] = [],
        breaker: BreakerPolicy = BreakerPolicy(),
        awaitingHuman: EscalationPolicy = EscalationPolicy(),
        headerStage: HeaderStage? = nil
    ) {
        self.steps = steps
        self.bake = bake
        self.requireApprovalBefore = requireApprovalBefore
        self.breaker = breaker
        self.awaitingHuman = awaitingHuman
        self.headerStage = headerStage
    }
}

/// The circuit-breaker rule: the canary's error ratio above `errorRatio` for `window`.
/// Prometheus evaluates it; Coalmine keeps it here so the rules it generates and the docs agree.
public struct BreakerPolicy: Equatable, Sendable {
    public var errorRatio: Double
    public var window: Duration

    public init(errorRatio: Double = 0.01, window: Duration = .seconds(300)) {
        self.errorRatio = errorRatio
        self.window = window
    }
}

/// What happens while a rollout waits for a human.
public struct EscalationPolicy: Equatable, Sendable {
    /// How often to remind the rollout's channels.
    public var renotifyEvery: Duration
    /// Roll back without a human after this long; nil (the default) never does.
    public var autoRollbackAfter: Duration?

    public init(renotifyEvery: Duration = .seconds(1800), autoRollbackAfter: Duration? = nil) {
        self.renotifyEvery = renotifyEvery
        self.autoRollbackAfter = autoRollbackAfter
    }
}
