/// Moves traffic between a rollout's stable and canary versions.
public protocol TrafficRouter: Sendable {
    /// Applies `split` and returns the weights read back afterwards. Must be idempotent: effects re-run after a
    /// crash. Throws when the read-back does not show `split`: only weights seen in place count as applied.
    func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit

    /// The canary weight now in force, read from the cluster; nil when there is none to read.
    func canaryWeight(of rollout: RolloutSpec) async throws -> Int?
}
