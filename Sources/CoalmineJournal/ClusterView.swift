import CoalmineCore

/// The replicas sharing one PostgreSQL journal, as the database sees them.
public struct ClusterView: Equatable, Sendable {
    public struct Replica: Equatable, Sendable {
        public var id: String
        public var advertiseURL: String
        public var startedAt: Timestamp
        public var lastHeartbeat: Timestamp
    }

    public var replicas: [Replica]
    /// The replica holding an unexpired lease, nil between leaders.
    public var leader: String?
    public var epoch: Int64
    public var leaseExpiresAt: Timestamp?

    /// Where to forward a request to the leader, if there is one.
    public var leaderURL: String? {
        guard let leader else { return nil }
        return replicas.first { $0.id == leader }?.advertiseURL
    }
}

/// What one attempt to take or keep the lead found.
public struct LeaseOutcome: Equatable, Sendable {
    /// This replica's term, or nil when another replica leads.
    public var epoch: Int64?
    /// Who leads now, if anyone, and how peers reach it.
    public var leader: String?
    public var leaderURL: String?
}
