import CoalmineJournal
import Logging
import Synchronization

/// What this replica knows of the lead: set by `ReplicaLeadership`, read by request forwarding and, as the effect
/// gate, before every effect.
public final class ReplicaStanding: EffectGate, Sendable {
    public struct Standing: Equatable, Sendable {
        public var epoch: Int64?
        public var leader: String?
        public var leaderURL: String?
        /// Until when (this process's monotonic clock) this replica may act as leader without a renewal: the
        /// lease measured from before the renewal was sent, so it ends no later than the database's.
        var validUntil: ContinuousClock.Instant?

        public var isLeader: Bool { epoch != nil }
    }

    public let replica: String
    public let advertiseURL: String
    public let journal: PostgresJournal
    let logger: Logger
    private let state = Mutex(Standing())
    private let checked = Mutex(false)

    public init(replica: String, advertiseURL: String, journal: PostgresJournal, logger: Logger = Logger(label: "coalmine.leadership")) {
        self.replica = replica
        self.advertiseURL = advertiseURL
        self.journal = journal
        self.logger = logger
    }

    public var current: Standing { state.withLock { $0 } }

    /// Whether this replica has once learned from the database who leads (and, if itself, taken the lead up):
    /// before that it could only answer 503. A failover later does not take it back.
    public var hasCheckedLease: Bool { checked.withLock { $0 } }

    func markChecked() {
        checked.withLock { $0 = true }
    }

    func set(_ standing: Standing) {
        state.withLock { $0 = standing }
    }

    /// Whether the lease taken at `validUntil` still runs by this process's clock.
    public var isWithinLease: Bool {
        let now = ContinuousClock.now
        return state.withLock { $0.validUntil.map { now < $0 } ?? false }
    }

    /// An effect may start only on the leader, within its lease, once claimed in its term in the database.
    public func mayStart(_ item: OutboxItem) async -> Bool {
        let now = ContinuousClock.now
        guard let epoch = state.withLock({ state in state.validUntil.map { now < $0 } == true ? state.epoch : nil }) else {
            return false
        }
        do {
            return try await journal.claimEffect(item.id, under: LeaderFence(replica: replica, epoch: epoch))
        } catch {
            logger.warning("cannot claim an effect; it waits", metadata: ["effect": "\(item.id)", "error": "\(error)"])
            return false
        }
    }
}
