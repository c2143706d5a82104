import CoalmineCore
import Logging
import ServiceLifecycle

/// Lets time pass for every rollout once a second: bakes end, reminders go out, auto-rollbacks fire.
/// Deadlines are absolute times in the state, so a late or missed tick only delays them, never skips them.
public struct RolloutTicker: Service {
    let engine: RolloutEngine
    let interval: Duration
    let logger: Logger

    public init(engine: RolloutEngine, interval: Duration = .seconds(1), logger: Logger = Logger(label: "coalmine.ticker")) {
        self.engine = engine
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            do {
                try await engine.tick()
            } catch {
                logger.error("tick failed; will try again", metadata: ["error": "\(error)"])
            }
        }
    }
}
