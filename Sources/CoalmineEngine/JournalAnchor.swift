import CoalmineJournal
import Logging
import Metrics
import ServiceLifecycle

/// Every `store.audit.anchorEvery`, and once at start, writes the journal's newest entry where the database cannot
/// reach it: an `audit-anchor SEQ:HASH` log line (logs are shipped elsewhere) and the `/metrics` gauge
/// `coalmine_journal_head_sequence`. `coalmine audit verify --expect SEQ:HASH` later finds a journal that was cut
/// short or rewritten since, which a chain alone, rebuilt by whoever can write the database, would not show.
public struct JournalAnchor: Service {
    let store: any JournalStore
    let interval: Duration
    let factory: any MetricsFactory
    let logger: Logger

    public init(
        store: any JournalStore, interval: Duration, metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "coalmine.audit")
    ) {
        self.store = store
        self.interval = interval
        self.factory = metricsFactory
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) { await anchorOnce() }
    }

    /// Logs and exports the head now; returns it (nil for an empty journal or a failed read).
    @discardableResult
    public func anchorOnce() async -> JournalHead? {
        do {
            guard let head = try await store.head() else { return nil }
            logger.notice("audit-anchor \(head)", metadata: ["sequence": "\(head.sequence)", "hash": "\(head.hash)"])
            Gauge(label: "coalmine_journal_head_sequence", factory: factory).record(head.sequence)
            return head
        } catch {
            logger.warning("cannot read the journal's head to anchor it; will try again", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
