import CoalmineCore
import Logging
import Synchronization

/// The router of `kubernetes.mode: dry-run`: logs the patch it would make and remembers the weights, touching
/// no cluster. What a newcomer runs first, and what the core's tests run against.
public final class DryRunRouter: TrafficRouter {
    private let logger: Logger
    private let weights = Mutex<[String: WeightSplit]>([:])

    public init(logger: Logger) {
        self.logger = logger
    }

    public func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit {
        weights.withLock { $0[rollout.name] = split }
        let header = split.headerRoute.map { ", header route \($0) → \(rollout.canary)" } ?? ""
        logger.info(
            "dry-run: would set \(rollout.namespace)/\(rollout.object) \(rollout.stable)=\(split.stable) \(rollout.canary)=\(split.canary)\(header)",
            metadata: ["rollout": "\(rollout.name)", "run": "\(split.run)"])
        return split
    }

    public func traffic(of rollout: RolloutSpec) async throws -> TrafficReading? {
        weights(of: rollout.name).map { TrafficReading(canaryWeight: $0.canary, headerRoute: $0.headerRoute) }
    }

    /// The weights last applied to `rollout`, if any.
    public func weights(of rollout: String) -> WeightSplit? {
        weights.withLock { $0[rollout] }
    }

    /// Changes the weights behind Coalmine's back, as a GitOps tool reverting them would.
    public func overwrite(_ split: WeightSplit, of rollout: String) {
        weights.withLock { $0[rollout] = split }
    }
}
