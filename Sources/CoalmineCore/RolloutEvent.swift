/// Something that happened to a rollout. Time is not an event's field: the machine receives `now` beside it.
public enum RolloutEvent: Equatable, Sendable {
    case command(HumanCommand)
    case alert(AlertObservation, role: AlertRole)
    /// Time passed: bake deadlines, reminders and auto-rollback are due when `now` reaches them.
    case clock
    /// The router read back these weights after applying them.
    case weightsApplied(run: Int, canaryWeight: Int)
    /// The router could not apply the weights of `run`.
    case weightsFailed(run: Int, message: String)
    /// A periodic read found this traffic in the cluster (a GitOps tool or a person may have changed it).
    case weightsObserved(run: Int, TrafficReading)
    /// A human declared a firing alert over (its resolution never arrived): the rollout goes on as if it resolved.
    case alertCleared(fingerprint: String, actor: String)
}

/// A human's request, from the API, the CLI or a signed link.
public struct HumanCommand: Codable, Equatable, Sendable {
    public var action: HumanAction
    public var actor: String
    public var reason: String?
    public var canaryVersion: String?
    public var stableVersion: String?

    public init(
        _ action: HumanAction, actor: String, reason: String? = nil, canaryVersion: String? = nil,
        stableVersion: String? = nil
    ) {
        self.action = action
        self.actor = actor
        self.reason = reason
        self.canaryVersion = canaryVersion
        self.stableVersion = stableVersion
    }
}
