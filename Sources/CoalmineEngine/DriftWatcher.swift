import CoalmineCore
import Logging
import ServiceLifecycle

/// Every `resyncEvery`, reads the weights and header route of each rollout under way and hands them to the engine,
/// which puts its own back where someone else changed them (a GitOps tool reverting, a hand edit).
public struct DriftWatcher: Service {
    let engine: RolloutEngine
    let router: any TrafficRouter
    let interval: Duration
    let logger: Logger

    public init(
        engine: RolloutEngine, router: any TrafficRouter, interval: Duration,
        logger: Logger = Logger(label: "coalmine.drift")
    ) {
        self.engine = engine
        self.router = router
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // The first check waits a whole interval: at start every rollout's weights were just recovered.
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        await repeatUntilShutdown(every: interval) { await checkOnce() }
    }

    /// One pass over the rollouts under way.
    public func checkOnce() async {
        for candidate in await engine.driftCandidates() {
            let metadata: Logger.Metadata = ["rollout": "\(candidate.rollout.name)", "run": "\(candidate.run)"]
            do {
                guard let observed = try await router.traffic(of: candidate.rollout) else { continue }
                try await engine.observe(observed, of: candidate.rollout.name, atVersion: candidate.version)
            } catch {
                logger.warning("drift check failed; will try again", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        }
    }
}
