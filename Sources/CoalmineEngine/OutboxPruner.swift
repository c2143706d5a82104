import CoalmineCore
import CoalmineJournal
import Logging
import ServiceLifecycle

/// Keeps the outbox small: every hour, deletes the rows of effects settled longer than `store.retention.outbox`
/// ago. Their `effect-requested` and `effect-result` entries stay in the journal, which is never pruned.
public struct OutboxPruner: Service {
    let store: any JournalStore
    let retention: Duration
    let interval: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    public init(
        store: any JournalStore, retention: Duration, interval: Duration = .seconds(3600),
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now, logger: Logger = Logger(label: "coalmine.outbox")
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) { await pruneOnce() }
    }

    /// Deletes what is older than the retention now; returns how many rows went.
    @discardableResult
    public func pruneOnce() async -> Int {
        do {
            let pruned = try await store.pruneOutbox(settledBefore: clock() + (.zero - retention))
            if pruned > 0 { logger.info("pruned settled outbox rows", metadata: ["rows": "\(pruned)"]) }
            return pruned
        } catch {
            logger.warning("cannot prune the outbox; will try again", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
