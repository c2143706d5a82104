/// Which replica may write, and in which term: set by the leadership loop, checked inside every commit. A
/// replica that is not the leader, or whose term has ended, writes nothing.
public struct LeaderFence: Equatable, Sendable {
    public var replica: String
    /// The term this replica leads in; nil while it follows.
    public var epoch: Int64?

    public init(replica: String, epoch: Int64?) {
        self.replica = replica
        self.epoch = epoch
    }
}

/// A write refused because this replica does not lead (or no longer does): the caller answers 503 and the
/// sender retries, reaching the leader.
public struct NotLeader: Error, CustomStringConvertible {
    public var replica: String

    public var description: String { "replica \(replica) does not lead (its lease ended or another replica took over)" }
}
