import CoalmineCore

/// Everything one event writes, committed all or nothing: entries, new effects for the outbox, changes to
/// effects already there, alert deliveries to remember for de-duplication, and action links used up.
public struct JournalUnit: Sendable, Equatable {
    public var entries: [NewJournalEntry] = []
    public var effects: [NewEffect] = []
    public var effectUpdates: [EffectUpdate] = []
    public var deliveries: [AlertDeliveryKey] = []
    public var linkUses: [ActionLinkUse] = []

    public init() {}

    public var isEmpty: Bool {
        entries.isEmpty && effects.isEmpty && effectUpdates.isEmpty && deliveries.isEmpty && linkUses.isEmpty
    }
}

/// An effect to put in the outbox. The store journals an `effect-requested` entry for it in the same transaction.
public struct NewEffect: Sendable, Equatable {
    public var rollout: String
    public var run: Int
    /// Effects of one lane run one at a time, in order: one lane per notifier, one per rollout's router.
    public var lane: String
    /// JSON of the effect, as the engine will read it back.
    public var payload: String

    public init(rollout: String, run: Int, lane: String, payload: String) {
        self.rollout = rollout
        self.run = run
        self.lane = lane
        self.payload = payload
    }
}

public struct EffectUpdate: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        case pending
        case done
        case failed
        case superseded
    }

    public var id: Int64
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var lastError: String?

    public init(id: Int64, status: Status, attempts: Int, nextAttemptAt: Timestamp, lastError: String? = nil) {
        self.id = id
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// An effect waiting in the outbox.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int64
    public var rollout: String
    public var run: Int
    public var lane: String
    public var payload: String
    public var attempts: Int
    public var nextAttemptAt: Timestamp
}
