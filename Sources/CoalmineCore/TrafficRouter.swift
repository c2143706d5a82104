/// Moves traffic between a rollout's stable and canary versions.
public protocol TrafficRouter: Sendable {
    /// Applies `split` (weights and header route) and returns what was read back afterwards. Must be idempotent:
    /// effects re-run after a crash. Throws when the read-back does not show `split`: only traffic seen in place
    /// counts as applied.
    func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit

    /// The traffic now in force, read from the cluster; nil when there is none to read.
    func traffic(of rollout: RolloutSpec) async throws -> TrafficReading?
}

/// What a rollout's routing holds in the cluster.
public struct TrafficReading: Equatable, Sendable {
    public var canaryWeight: Int
    /// Coalmine's header route for the rollout as found, nil when there is none (or it no longer sends only to
    /// the canary, which is then put back as it should be).
    public var headerRoute: HeaderMatch?

    public init(canaryWeight: Int, headerRoute: HeaderMatch? = nil) {
        self.canaryWeight = canaryWeight
        self.headerRoute = headerRoute
    }
}
