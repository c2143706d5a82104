/// A human action the machine will not take now, with a message naming the state and what is allowed.
public struct ActionRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public var action: HumanAction
    public var phase: RolloutPhase
    public var reason: PhaseReason?
    public var allowedActions: [HumanAction]
    /// Set when the phase would allow the action but a firing alert forbids raising the canary's weight.
    public var blockingAlert: String?

    public var description: String {
        let state = reason.map { "\(phase.rawValue) (\($0.rawValue))" } ?? phase.rawValue
        let allowed = allowedActions.isEmpty ? "none" : allowedActions.map(\.rawValue).joined(separator: ", ")
        if let blockingAlert {
            return "cannot \(action.rawValue) while alert \(blockingAlert) is firing: the canary's weight must not"
                + " rise during an alert; the rollout is \(state); allowed now: \(allowed)"
        }
        return "cannot \(action.rawValue) a rollout that is \(state); allowed now: \(allowed)"
    }
}
