import CoalmineCore
import CoalmineJournal
import Synchronization

/// A real journal with a switch to make commits fail (as a full disk would) and a count of commits, to show
/// what the engine does when the store lets it down and how many transactions concurrent callers share.
public final class FaultyJournal: JournalStore {
    public let inner: any JournalStore
    private let state = Mutex<(failing: Bool, commits: Int, units: Int, held: Bool, losingAnswers: Bool)>((false, 0, 0, false, false))
    private let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
    /// Loads of the engine's state (their first read) held until `releaseLoads`, and how many wait.
    private let loadGate = Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    public init(_ inner: any JournalStore) {
        self.inner = inner
    }

    public func failCommits(_ failing: Bool) {
        state.withLock { $0.failing = failing }
    }

    /// Commits are written, then reported as failed: a connection lost between COMMIT and its answer.
    public func loseCommitAnswers(_ losing: Bool) {
        state.withLock { $0.losingAnswers = losing }
    }

    public struct AnswerLost: Error, CustomStringConvertible {
        public var description: String { "connection lost after COMMIT (simulated)" }
    }

    /// Commits wait until `releaseCommits` is called.
    public func holdCommits() {
        state.withLock { $0.held = true }
    }

    public func releaseCommits() {
        state.withLock { $0.held = false }
        for waiter in gate.withLock({ waiters in defer { waiters = [] }; return waiters }) { waiter.resume() }
    }

    /// The engine's next loads of its state (a start, or the reload after a failed commit) wait until
    /// `releaseLoads` is called.
    public func holdLoads() {
        loadGate.withLock { $0.held = true }
    }

    public func releaseLoads() {
        for waiter in loadGate.withLock({ gate in defer { gate = (false, []) }; return gate.waiting }) { waiter.resume() }
    }

    public var loadsWaiting: Int { loadGate.withLock { $0.waiting.count } }

    public var commitCount: Int { state.withLock { $0.commits } }
    public var unitCount: Int { state.withLock { $0.units } }

    public struct DiskFull: Error, CustomStringConvertible {
        public var description: String { "disk I/O error (simulated)" }
    }

    @discardableResult
    public func commit(_ units: [JournalUnit], at time: Timestamp) async throws -> [OutboxItem] {
        let (failing, held, losing) = state.withLock { state in
            state.commits += 1
            state.units += units.count
            return (state.failing, state.held, state.losingAnswers)
        }
        if held {
            await withCheckedContinuation { continuation in
                let stillHeld = state.withLock { $0.held }
                if stillHeld { gate.withLock { $0.append(continuation) } } else { continuation.resume() }
            }
        }
        if failing { throw DiskFull() }
        let created = try await inner.commit(units, at: time)
        if losing { throw AnswerLost() }
        return created
    }

    public func latestTransitions() async throws -> [String: String] {
        await withCheckedContinuation { continuation in
            let held = loadGate.withLock { gate in
                if gate.held { gate.waiting.append(continuation) }
                return gate.held
            }
            if !held { continuation.resume() }
        }
        return try await inner.latestTransitions()
    }
    public func firingAlerts() async throws -> [String: [FiringAlert]] { try await inner.firingAlerts() }
    public func deliveries(seenSince since: Timestamp) async throws -> [AlertDeliveryKey: Timestamp] {
        try await inner.deliveries(seenSince: since)
    }
    public func pruneDeliveries(seenBefore cutoff: Timestamp) async throws -> Int {
        try await inner.pruneDeliveries(seenBefore: cutoff)
    }
    public func pendingEffects() async throws -> [OutboxItem] { try await inner.pendingEffects() }
    public func linkUses() async throws -> [ActionLinkUse] { try await inner.linkUses() }
    public func history(of rollout: String) async throws -> [JournalEntry] { try await inner.history(of: rollout) }
    public func history(of rollout: String, before: Int64?, limit: Int) async throws -> HistoryPage {
        try await inner.history(of: rollout, before: before, limit: limit)
    }
    public func pruneOutbox(settledBefore cutoff: Timestamp) async throws -> Int {
        try await inner.pruneOutbox(settledBefore: cutoff)
    }
    public func ping() async throws { try await inner.ping() }
    public func verifyChain(expecting anchor: JournalHead?, resumingAt known: JournalHead?) async throws -> ChainVerification {
        try await inner.verifyChain(expecting: anchor, resumingAt: known)
    }
    public func head() async throws -> JournalHead? { try await inner.head() }
    public var keyedFrom: Int64? { inner.keyedFrom }
    public func checkKeyID(_ id: String, of key: SharedKey, replacing previous: Set<String>) async throws {
        try await inner.checkKeyID(id, of: key, replacing: previous)
    }
}
