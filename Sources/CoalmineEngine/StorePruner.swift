import CoalmineCore
import CoalmineJournal
import Logging
import ServiceLifecycle

/// Keeps what grows with time bounded: every hour it deletes the outbox rows of effects settled longer than
/// `store.retention.outbox` ago (their entries stay in the journal, which is never pruned), and forgets alert
/// deliveries first seen longer than `store.retention.deliveries` ago, except the firing of every alert still
/// firing.
public struct StorePruner: Service {
    let engine: RolloutEngine
    let store: any JournalStore
    let retention: StoreSettings
    let interval: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    public init(
        engine: RolloutEngine, store: any JournalStore, retention: StoreSettings, interval: Duration = .seconds(3600),
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now, logger: Logger = Logger(label: "coalmine.store")
    ) {
        self.engine = engine
        self.store = store
        self.retention = retention
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) { await pruneOnce() }
    }

    /// Deletes what is older than the retentions now; returns how many outbox rows and deliveries went.
    @discardableResult
    public func pruneOnce() async -> (outboxRows: Int, deliveries: Int) {
        let now = clock()
        do {
            let rows = try await store.pruneOutbox(settledBefore: now - retention.outboxRetention)
            let deliveries = try await engine.forgetDeliveries(seenBefore: now - retention.deliveryRetention)
            if rows + deliveries > 0 {
                logger.info("pruned the store", metadata: ["outboxRows": "\(rows)", "deliveries": "\(deliveries)"])
            }
            return (rows, deliveries)
        } catch {
            logger.warning("cannot prune the store; will try again", metadata: ["error": "\(error)"])
            return (0, 0)
        }
    }
}
