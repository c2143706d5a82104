/// Everything Coalmine knows about one rollout: the value the machine reads and returns, and the value the
/// journal stores after every transition so a restart resumes exactly here.
public struct RolloutState: Codable, Equatable, Sendable {
    public var phase: RolloutPhase = .idle
    public var reason: PhaseReason?
    /// Runs count from 1; 0 means the rollout never started.
    public var run: Int = 0
    /// Index into the policy's steps of the weight now in force; -1 before a run's first step.
    public var step: Int = -1
    /// The canary weight Coalmine intends; the router's read-back is journaled beside it.
    public var canaryWeight: Int = 0
    /// When the rollout entered its phase.
    public var since: Timestamp
    /// When the current step's bake ends. Absolute, so a restart does not restart the bake.
    public var nextStepAt: Timestamp?
    public var nextReminderAt: Timestamp?
    public var autoRollbackAt: Timestamp?
    public var firingAlerts: FiringAlerts = []
    public var canaryVersion: String?
    public var stableVersion: String?
    /// Bumped whenever phase, reason, run, step or weight change. A signed action link names the version it was
    /// issued for, so a link about an older situation cannot act on a newer one.
    public var version: Int = 0
    /// Consecutive router failures while rolling back.
    public var rollbackFailures: Int = 0
    /// The header route in force: set by a header stage and kept through the weighted steps until the run is
    /// promoted or rolled back. Absent in states written before header stages existed.
    public var headerRoute: HeaderMatch?

    public init(since: Timestamp) {
        self.since = since
    }

    public var stableWeight: Int { 100 - canaryWeight }

    /// Whether only header-matched requests reach the canary: a header stage, or a wait for approval after it.
    public var isInHeaderStage: Bool { headerRoute != nil && canaryWeight == 0 }

    /// The traffic as people read it: `internal (x-user-group=internal)` in a header stage, else the weights and,
    /// while it stays, the header route (`stable/canary 95/5 + internal (x-user-group=internal)`).
    public var trafficText: String {
        guard let headerRoute else { return "stable/canary \(stableWeight)/\(canaryWeight)" }
        if isInHeaderStage { return headerRoute.audience }
        return "stable/canary \(stableWeight)/\(canaryWeight) + \(headerRoute.audience)"
    }

    /// When time alone next changes the rollout: the end of its bake, a reminder, an auto-rollback. Before it, a
    /// `.clock` event changes nothing, so nothing needs to look at the rollout until then.
    public var nextDeadline: Timestamp? {
        switch phase {
        case .observing: nextStepAt
        case .awaitingHuman: [autoRollbackAt, nextReminderAt].compactMap { $0 }.min()
        case .idle, .paused, .rollingBack, .rolledBack, .promoted: nil
        }
    }

    /// What a human would notice about the rollout; its version moves with it.
    struct Position: Equatable {
        var phase: RolloutPhase
        var reason: PhaseReason?
        var run: Int
        var step: Int
        var canaryWeight: Int
        var headerRoute: HeaderMatch?
        var version: Int

        /// Whether anything a human would notice differs, the version aside.
        func differs(from other: Position) -> Bool {
            phase != other.phase || reason != other.reason || run != other.run || step != other.step
                || canaryWeight != other.canaryWeight || headerRoute != other.headerRoute
        }
    }

    var position: Position {
        Position(
            phase: phase, reason: reason, run: run, step: step, canaryWeight: canaryWeight, headerRoute: headerRoute,
            version: version)
    }
}

/// An alert of the rollout that is firing now.
public struct FiringAlert: Codable, Equatable, Sendable {
    public var name: String
    public var role: AlertRole
    public var fingerprint: String
    public var startsAt: String
    public var summary: String?
    public var value: String?
    /// A human resumed while it fired: it keeps the rollout paused but does not page again.
    public var acknowledged: Bool
    /// When Coalmine first heard of it.
    public var receivedAt: Timestamp

    public init(observation: AlertObservation, role: AlertRole, receivedAt: Timestamp) {
        self.name = observation.name
        self.role = role
        self.fingerprint = observation.fingerprint
        self.startsAt = observation.startsAt
        self.summary = observation.annotations["summary"] ?? observation.annotations["description"]
        self.value = observation.annotations["value"]
        self.acknowledged = false
        self.receivedAt = receivedAt
    }
}
