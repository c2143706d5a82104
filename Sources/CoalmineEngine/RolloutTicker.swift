import CoalmineCore
import Logging
import ServiceLifecycle

/// Lets time pass: sleeps until the earliest deadline of any rollout (a bake's end, a reminder, an auto-rollback)
/// and fires the ones due, waking early when a rollout gets an earlier deadline. Deadlines are absolute times in
/// the state, so a late or missed wake only delays them, never skips them; the sleep never exceeds `longestSleep`,
/// so a jump of the wall clock is caught up with soon.
public struct RolloutTicker: Service {
    let engine: RolloutEngine
    let longestSleep: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    public init(
        engine: RolloutEngine, longestSleep: Duration = .seconds(1), clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        logger: Logger = Logger(label: "coalmine.ticker")
    ) {
        self.engine = engine
        self.longestSleep = longestSleep
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var next: Timestamp?
            do {
                next = try await engine.tick()
            } catch {
                logger.error("tick failed; will try again", metadata: ["error": "\(error)"])
            }
            let sleep = next.map { min(max($0.since(clock()), .zero), longestSleep) } ?? longestSleep
            await cancelWhenGracefulShutdown { await engine.deadlineWakeup.wait(upTo: sleep) }
        }
    }
}
