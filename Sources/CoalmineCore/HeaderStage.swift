/// Internal users first: after a run starts and before its first weighted step, only requests that match a header
/// set at the edge (staff, a user bucket) go to the canary, and everyone else stays on stable. The header route
/// stays through the weighted steps and goes when the run is promoted or rolled back.
public struct HeaderStage: Equatable, Sendable {
    public var match: HeaderMatch
    /// How long the stage runs before the first weighted step; nil: the rollout's `bake`.
    public var bake: Duration?

    public init(match: HeaderMatch, bake: Duration? = nil) {
        self.match = match
        self.bake = bake
    }
}
