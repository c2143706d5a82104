import CoalmineCore
import Synchronization

/// A router that fails a set number of times before it works, as an API server under maintenance does.
public final class FlakyRouter: TrafficRouter {
    private let state = Mutex<(failuresLeft: Int, applied: WeightSplit?, applyCount: Int)>((0, nil, 0))

    public init() {}

    public func fail(times: Int) {
        state.withLock { $0.failuresLeft = times }
    }

    public var applied: WeightSplit? { state.withLock { $0.applied } }
    /// Calls of `apply`, failed ones included.
    public var applyCount: Int { state.withLock { $0.applyCount } }

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "503 Service Unavailable from the API server" }
    }

    public func traffic(of rollout: RolloutSpec) async throws -> TrafficReading? {
        applied.map { TrafficReading(canaryWeight: $0.canary, headerRoute: $0.headerRoute) }
    }

    public func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit {
        try state.withLock { state in
            state.applyCount += 1
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw Unavailable()
            }
            state.applied = split
            return split
        }
    }
}
