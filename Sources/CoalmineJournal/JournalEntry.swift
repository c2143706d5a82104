import CoalmineCore

/// What an entry records. The raw values appear in the history API and in `audit verify`.
public enum JournalKind: String, Codable, Sendable, CaseIterable {
    case alertReceived = "alert-received"
    case humanAction = "human-action"
    case transition
    case effectRequested = "effect-requested"
    case effectResult = "effect-result"
    /// The cluster held other weights than the journal says; both are recorded.
    case driftDetected = "drift-detected"
}

/// An entry to append. The store gives it a sequence number and chains it to the entry before.
public struct NewJournalEntry: Sendable, Equatable {
    public var rollout: String
    public var run: Int
    public var kind: JournalKind
    /// A JSON object; stored and hashed byte for byte as given.
    public var body: String

    public init(rollout: String, run: Int, kind: JournalKind, body: String) {
        self.rollout = rollout
        self.run = run
        self.kind = kind
        self.body = body
    }
}

/// An entry as stored: append-only, each carrying the SHA-256 of the one before it.
public struct JournalEntry: Sendable, Equatable {
    public var sequence: Int64
    public var recordedAt: Timestamp
    public var rollout: String
    public var run: Int
    public var kind: JournalKind
    public var body: String
    public var previousHash: String
    public var hash: String
}
