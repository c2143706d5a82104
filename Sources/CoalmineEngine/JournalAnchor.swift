import CoalmineCore
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
    /// Where the result of walking the chain goes, when someone shows it.
    let chainStatus: ChainStatus?
    let clock: @Sendable () -> Timestamp

    public init(
        store: any JournalStore, interval: Duration, metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "coalmine.audit"), chainStatus: ChainStatus? = nil,
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) {
        self.store = store
        self.interval = interval
        self.factory = metricsFactory
        self.logger = logger
        self.chainStatus = chainStatus
        self.clock = clock
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            await anchorOnce()
            await checkChain()
        }
    }

    /// Walks the chain (the whole of it at first, then from where the last intact walk ended) and records the
    /// verdict; a broken chain is also logged as an error.
    public func checkChain() async {
        guard let chainStatus else { return }
        do {
            // The head is read first: entries committed while the walk runs are walked the next time.
            let head = try await store.head()
            let verdict = try await store.verifyChain(expecting: head, resumingAt: chainStatus.intactHead)
            let intact = if case .intact = verdict { head } else { JournalHead?.none }
            chainStatus.record(.init(at: clock(), verdict: verdict), head: intact)
            if case .broken(let sequence, let reason) = verdict {
                logger.error("the journal's hash chain is broken", metadata: ["sequence": "\(sequence)", "reason": "\(reason)"])
            }
        } catch {
            logger.warning("cannot walk the journal's hash chain; will try again", metadata: ["error": "\(error)"])
        }
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
