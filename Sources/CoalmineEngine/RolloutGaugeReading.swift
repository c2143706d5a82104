import CoalmineCore

/// One rollout's gauges at a scrape.
public struct RolloutGaugeReading: Equatable, Sendable {
    public var rollout: String
    public var phase: RolloutPhase
    public var canaryWeight: Int
}
