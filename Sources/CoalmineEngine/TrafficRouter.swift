import CoalmineCore

/// Moves traffic between a rollout's stable and canary versions.
public protocol TrafficRouter: Sendable {
    /// Applies `split` and returns the weights read back afterwards. Must be idempotent: effects re-run after a crash.
    func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit
}
