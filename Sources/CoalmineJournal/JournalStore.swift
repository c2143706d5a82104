import CoalmineCore

/// Durable storage for the journal and the outbox: `SQLiteJournal` embedded, `PostgresJournal` shared by replicas.
public protocol JournalStore: Sendable {
    /// Appends every unit in one transaction, in order, and returns once it is durable.
    /// Several units share one commit (and one fsync) when callers arrive together.
    /// Returns the effects the units put in the outbox, with their ids, in order.
    @discardableResult
    func commit(_ units: [JournalUnit], at time: Timestamp) async throws -> [OutboxItem]

    /// Housekeeping the writer does between commits, once their callers have their answer: for SQLite, copying
    /// the write-ahead log back into the database when it has grown.
    func afterCommits() async

    /// The body of each rollout's newest `transition` entry: its state when the process stopped. One read per
    /// rollout, however long the journal.
    func latestTransitions() async throws -> [String: String]

    /// Every rollout's firing alerts, in the order they began firing: the exact set a transition may show only
    /// part of.
    func firingAlerts() async throws -> [String: [FiringAlert]]

    /// The alert deliveries acted on at or after `since`, with when each was first seen.
    func deliveries(seenSince since: Timestamp) async throws -> [AlertDeliveryKey: Timestamp]

    /// Forgets deliveries first seen before `cutoff`; returns how many. (The engine remembers the firing of every
    /// alert still firing from its state, whatever the store keeps.)
    func pruneDeliveries(seenBefore cutoff: Timestamp) async throws -> Int

    /// Every action link already used.
    func linkUses() async throws -> [ActionLinkUse]

    /// Effects not yet done, oldest first.
    func pendingEffects() async throws -> [OutboxItem]

    /// Entries of one rollout, oldest first.
    func history(of rollout: String) async throws -> [JournalEntry]

    /// One page of a rollout's entries: the newest `limit` whose sequence is below `before` (all when nil),
    /// oldest first, walked by index however long the journal is.
    func history(of rollout: String, before: Int64?, limit: Int) async throws -> HistoryPage

    /// Deletes outbox rows settled before `cutoff` (the journal keeps their `effect-result`); returns how many.
    func pruneOutbox(settledBefore cutoff: Timestamp) async throws -> Int

    /// Answers when the store can serve reads: what `/readyz` asks.
    func ping() async throws

    /// Walks the hash chain; with an anchor, also checks the journal still holds that entry unchanged. With
    /// `resumingAt`, the head of an earlier intact walk, it walks only from there on, after checking that entry is
    /// still as it was: the cost of a periodic check grows with what was added, not with the journal.
    /// `.intact(entries:)` counts every entry of the journal either way.
    func verifyChain(expecting anchor: JournalHead?, resumingAt known: JournalHead?) async throws -> ChainVerification

    /// The newest entry, nil for an empty journal.
    func head() async throws -> JournalHead?

    /// Checks the id of a key every writer of this journal must share (`KeyID.of` the key): recorded the first
    /// time, and in place of the one on record when that one is in `previous` (a rotation). Throws
    /// `SharedKeyDiffers` for any other id. (The audit key is checked when the journal opens.)
    func checkKeyID(_ id: String, of key: SharedKey, replacing previous: Set<String>) async throws

    /// The first entry hashed with the audit key; nil while no entry is keyed.
    var keyedFrom: Int64? { get }

    /// Lets go of the database's connections; the store is not used after.
    func close() async
}

extension JournalStore {
    /// Walks the whole hash chain.
    public func verifyChain() async throws -> ChainVerification {
        try await verifyChain(expecting: nil, resumingAt: nil)
    }

    /// Walks the whole hash chain and checks the anchor.
    public func verifyChain(expecting anchor: JournalHead?) async throws -> ChainVerification {
        try await verifyChain(expecting: anchor, resumingAt: nil)
    }
}

/// The result of walking the hash chain.
public enum ChainVerification: Equatable, Sendable {
    case intact(entries: Int)
    /// The first entry whose stored hash or link does not match what its content gives.
    case broken(sequence: Int64, reason: String)
}

/// A page of a rollout's journal, oldest first.
public struct HistoryPage: Equatable, Sendable {
    public var entries: [JournalEntry]
    /// The `before` of the next older page; nil when this page reaches the rollout's first entry.
    public var next: Int64?

    public init(entries: [JournalEntry], next: Int64?) {
        self.entries = entries
        self.next = next
    }
}

extension JournalStore {
    public func afterCommits() async {}

    public func close() async {}
}
