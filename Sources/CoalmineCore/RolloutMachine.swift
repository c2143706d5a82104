/// The rules of a rollout: a pure function of (state, event, now) returning the next state and the effects
/// to run. It reads no clock, touches no file and talks to no network, so every rule is tested without I/O and
/// the journal can replay any history.
public struct RolloutMachine: Sendable {
    public let policy: RolloutPolicy

    /// Consecutive router failures after which a stuck rollback is announced (then every `stuckRepeat`).
    static let stuckThreshold = 3
    static let stuckRepeat = 20

    public init(policy: RolloutPolicy) {
        self.policy = policy
    }

    /// `state` is consumed: a caller that hands over its only copy (`consume`) lets a transition change a rollout
    /// with thousands of firing alerts without copying them.
    public func handle(_ event: RolloutEvent, in state: consuming RolloutState, at now: Timestamp) -> RolloutOutcome {
        if case .command(let command) = event, let refusal = refusal(of: command.action, in: state) {
            return RolloutOutcome(state: state, effects: [], actor: command.actor, refusal: refusal)
        }
        let original = state.position
        var transition = RolloutTransition(policy: policy, state: consume state, now: now)
        switch event {
        case .command(let command):
            transition.perform(command)
        case .alert(let alert, let role):
            transition.observe(alert, role: role)
        case .clock:
            transition.advanceClock()
        case .weightsApplied(let run, let canaryWeight):
            transition.confirmWeights(run: run, canaryWeight: canaryWeight)
        case .weightsFailed(let run, let message):
            transition.recordRouterFailure(run: run, message: message)
        case .weightsObserved(let run, let reading):
            transition.correctDrift(run: run, observed: reading)
        case .alertCleared(let fingerprint, let actor):
            transition.clear(fingerprint: fingerprint, by: actor)
        }
        return transition.finish(from: original, allowedActions: allowedActions(in:))
    }

    /// What a human may do in `state`. Actions that would raise the canary's weight are left out while an
    /// alert of the rollout fires.
    public func allowedActions(in state: RolloutState) -> [HumanAction] {
        HumanAction.allCases.filter { verdict(on: $0, in: state).isAllowed }
    }

    func refusal(of action: HumanAction, in state: RolloutState) -> ActionRefusal? {
        let verdict = verdict(on: action, in: state)
        guard !verdict.isAllowed else { return nil }
        return ActionRefusal(
            action: action, phase: state.phase, reason: state.reason, allowedActions: allowedActions(in: state),
            blockingAlert: verdict.blockingAlert
        )
    }

    private func verdict(on action: HumanAction, in state: RolloutState) -> (isAllowed: Bool, blockingAlert: String?) {
        let allowedByPhase: Bool
        let raisesWeight: Bool
        switch action {
        case .start:
            allowedByPhase = !state.phase.isActive
            raisesWeight = true
        case .pause:
            allowedByPhase = state.phase == .observing
            raisesWeight = false
        case .resume:
            allowedByPhase = state.phase == .paused || state.phase == .awaitingHuman
            raisesWeight = false
        case .approve:
            allowedByPhase = state.phase == .awaitingHuman && state.reason == .approval
            raisesWeight = true
        case .promote:
            allowedByPhase =
                state.phase == .observing || state.phase == .paused
                || (state.phase == .awaitingHuman && state.reason == .approval)
            raisesWeight = true
        case .rollback:
            allowedByPhase = state.phase == .observing || state.phase == .paused || state.phase == .awaitingHuman
            raisesWeight = false
        }
        guard allowedByPhase else { return (false, nil) }
        if raisesWeight, let alert = state.firingAlerts.first { return (false, alert.name) }
        return (true, nil)
    }
}

/// The result of one event: the next state, the effects to run, who caused it, or why a command was refused.
public struct RolloutOutcome: Equatable, Sendable {
    public var state: RolloutState
    public var effects: [RolloutEffect]
    /// Who or what caused the transition: a human's name, `alert:<name>`, `schedule`, `timeout` or `router`.
    public var actor: String
    public var refusal: ActionRefusal?
}
