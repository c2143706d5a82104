/// The working copy of one transition: the rules mutate `state` and collect effects, then `finish` stamps every
/// notice with the final state, so a notice never describes a state the rollout is not in.
struct RolloutTransition {
    let policy: RolloutPolicy
    var state: RolloutState
    let now: Timestamp
    private(set) var effects: [RolloutEffect] = []
    private var pendingNotices: [(kind: RolloutNotice.Kind, weightBefore: Int, alert: FiringAlert?, detail: String?)] =
        []
    private(set) var actor = "coalmine"

    init(policy: RolloutPolicy, state: RolloutState, now: Timestamp) {
        self.policy = policy
        self.state = state
        self.now = now
    }

    // MARK: human commands

    mutating func perform(_ command: HumanCommand) {
        actor = command.actor
        switch command.action {
        case .start:
            state.run += 1
            state.step = -1
            state.rollbackFailures = 0
            state.canaryVersion = command.canaryVersion
            state.stableVersion = command.stableVersion
            enter(.observing, reason: nil)
            notify(.started, detail: command.reason)
            if let stage = policy.headerStage {
                setTraffic(canary: 0, headerRoute: stage.match)
                state.nextStepAt = now + (stage.bake ?? policy.bake)
            } else {
                progress(to: 0)
            }
        case .pause:
            enter(.paused, reason: .manual)
            notify(.paused, detail: command.reason)
        case .resume:
            state.firingAlerts.acknowledgeAll()
            if state.firingAlerts.isEmpty {
                enter(.observing, reason: nil)
                state.nextStepAt = now + bakeOfCurrentStep
            } else {
                enter(.paused, reason: .alert)
            }
            notify(.resumed, alert: state.firingAlerts.first, detail: command.reason)
        case .approve:
            let weightBefore = state.canaryWeight
            apply(step: state.step + 1)
            notify(.stepAdvanced, weightBefore: weightBefore, detail: command.reason)
        case .promote:
            promote(reason: .human, detail: command.reason)
        case .rollback:
            beginRollback(reason: .human, detail: command.reason)
        }
    }

    // MARK: alerts

    mutating func observe(_ alert: AlertObservation, role: AlertRole) {
        actor = "alert:\(alert.name)"
        switch alert.status {
        case .firing:
            if let known = state.firingAlerts[fingerprint: alert.fingerprint] {
                if known.startsAt == alert.startsAt { return }
                // The same fingerprint with another startsAt is a new episode: its resolution may have been lost.
                state.firingAlerts.remove(fingerprint: alert.fingerprint)
            }
            let firing = FiringAlert(observation: alert, role: role, receivedAt: now)
            state.firingAlerts.append(firing)
            guard state.phase.isActive else { return }
            switch role {
            case .abort:
                if state.phase != .rollingBack { beginRollback(reason: .abort, alert: firing) }
            case .breaker:
                let awaitingBreaker = state.phase == .awaitingHuman && state.reason == .breaker
                if state.phase != .rollingBack, !awaitingBreaker {
                    awaitHuman(reason: .breaker)
                    notify(.awaitingHuman, alert: firing)
                }
            case .gate:
                if state.phase == .observing {
                    enter(.paused, reason: .alert)
                    notify(.paused, alert: firing)
                }
            }
        case .resolved:
            guard state.firingAlerts[fingerprint: alert.fingerprint]?.startsAt == alert.startsAt else { return }
            resolve(alert.fingerprint)
        }
    }

    /// A human clears an alert whose resolution was lost: exactly what its resolution would have done, with the
    /// human as the actor.
    mutating func clear(fingerprint: String, by human: String) {
        guard state.firingAlerts[fingerprint: fingerprint] != nil else { return }
        actor = human
        resolve(fingerprint)
    }

    private mutating func resolve(_ fingerprint: String) {
        guard let resolved = state.firingAlerts.remove(fingerprint: fingerprint) else { return }
        guard state.phase.isActive else { return }
        if resolved.role == .breaker, state.phase == .awaitingHuman, state.reason == .breaker {
            notify(.breakerCleared, alert: resolved)
        }
        if state.phase == .paused, state.reason == .alert, state.firingAlerts.isEmpty {
            enter(.observing, reason: .resolved)
            state.nextStepAt = now + bakeOfCurrentStep
            notify(.resumed, alert: resolved)
        }
    }

    // MARK: time and the router

    mutating func advanceClock() {
        switch state.phase {
        case .observing:
            guard let deadline = state.nextStepAt, deadline <= now else { return }
            actor = "schedule"
            progress(to: state.step + 1)
        case .awaitingHuman:
            if let deadline = state.autoRollbackAt, deadline <= now {
                actor = "timeout"
                beginRollback(reason: .timeout)
            } else if let reminder = state.nextReminderAt, reminder <= now {
                actor = "schedule"
                // After downtime, one reminder, not one for each missed interval.
                var next = reminder + policy.awaitingHuman.renotifyEvery
                while next <= now { next = next + policy.awaitingHuman.renotifyEvery }
                state.nextReminderAt = next
                notify(.reminder, alert: state.firingAlerts.first)
            }
        default:
            return
        }
    }

    mutating func confirmWeights(run: Int, canaryWeight: Int) {
        actor = "router"
        guard run == state.run, state.phase == .rollingBack, canaryWeight == 0 else { return }
        state.rollbackFailures = 0
        enter(.rolledBack, reason: state.reason)
        notify(.rolledBack)
    }

    mutating func recordRouterFailure(run: Int, message: String) {
        actor = "router"
        guard run == state.run, state.phase == .rollingBack else { return }
        state.rollbackFailures += 1
        let failures = state.rollbackFailures
        if failures == RolloutMachine.stuckThreshold || failures % RolloutMachine.stuckRepeat == 0 {
            notify(.rollbackStuck, detail: "\(failures) attempts failed; last error: \(message)")
        }
    }

    /// Weights or a header route found in the cluster that are not the ones Coalmine set: put its own back and
    /// say so. The state does not change; only the cluster is made to match it again.
    mutating func correctDrift(run: Int, observed: TrafficReading) {
        actor = "drift"
        guard run == state.run, state.phase.isActive,
            observed.canaryWeight != state.canaryWeight || observed.headerRoute != state.headerRoute
        else { return }
        effects.append(.setWeights(WeightSplit(run: state.run, canary: state.canaryWeight, headerRoute: state.headerRoute)))
        var found = "stable/canary \(100 - observed.canaryWeight)/\(observed.canaryWeight)"
        var restored = "\(state.stableWeight)/\(state.canaryWeight)"
        if observed.headerRoute != state.headerRoute {
            found += observed.headerRoute.map { " with header route \($0)" } ?? " without the header route"
            restored += state.headerRoute.map { " with header route \($0)" } ?? " without a header route"
        }
        notify(.driftCorrected, detail: "found \(found) in the cluster; restored \(restored)")
    }

    // MARK: building blocks

    /// Moves to step `index`: applies it, or waits for approval first, or promotes after the last step.
    private mutating func progress(to index: Int) {
        guard index < policy.steps.count else {
            promote(reason: .completed, detail: nil)
            return
        }
        if policy.requireApprovalBefore.contains(policy.steps[index]) {
            // A new run that waits before its first step must not leave the last run's weight in place.
            if index == 0 { setCanaryWeight(0) }
            awaitHuman(reason: .approval)
            notify(.approvalNeeded)
        } else {
            // The start announces a run's first weight, unless a header stage came before it.
            let announcedByStart = index == 0 && state.headerRoute == nil
            let weightBefore = state.canaryWeight
            apply(step: index)
            if !announcedByStart { notify(.stepAdvanced, weightBefore: weightBefore) }
        }
    }

    /// How long the step in force bakes: a header stage's own bake before the first weighted step.
    private var bakeOfCurrentStep: Duration {
        if state.step == -1, state.headerRoute != nil, let stage = policy.headerStage { return stage.bake ?? policy.bake }
        return policy.bake
    }

    private mutating func apply(step index: Int) {
        enter(.observing, reason: nil)
        state.step = index
        setCanaryWeight(policy.steps[index])
        state.nextStepAt = now + policy.bake
    }

    private mutating func promote(reason: PhaseReason, detail: String?) {
        enter(.promoted, reason: reason)
        setTraffic(canary: 100, headerRoute: nil)
        notify(.promoted, detail: detail)
    }

    private mutating func beginRollback(reason: PhaseReason, alert: FiringAlert? = nil, detail: String? = nil) {
        enter(.rollingBack, reason: reason)
        state.rollbackFailures = 0
        let weightBefore = state.canaryWeight
        state.canaryWeight = 0
        state.headerRoute = nil
        // Always asked for, even at weight 0: the rollback completes only on the router's read-back, which also
        // shows the header route gone.
        effects.append(.setWeights(WeightSplit(run: state.run, canary: 0)))
        pendingNotices.append((.rollingBack, weightBefore, alert, detail))
    }

    private mutating func awaitHuman(reason: PhaseReason) {
        enter(.awaitingHuman, reason: reason)
        state.nextReminderAt = now + policy.awaitingHuman.renotifyEvery
        if reason == .breaker, let after = policy.awaitingHuman.autoRollbackAfter {
            state.autoRollbackAt = now + after
        }
    }

    /// Sets phase and reason; clears the timers that belong to the phase being left.
    private mutating func enter(_ phase: RolloutPhase, reason: PhaseReason?) {
        if phase != state.phase || reason != state.reason { state.since = now }
        state.phase = phase
        state.reason = reason
        state.nextStepAt = nil
        state.nextReminderAt = nil
        state.autoRollbackAt = nil
    }

    private mutating func setCanaryWeight(_ weight: Int) {
        setTraffic(canary: weight, headerRoute: state.headerRoute)
    }

    private mutating func setTraffic(canary weight: Int, headerRoute: HeaderMatch?) {
        guard weight != state.canaryWeight || headerRoute != state.headerRoute else { return }
        state.canaryWeight = weight
        state.headerRoute = headerRoute
        effects.append(.setWeights(WeightSplit(run: state.run, canary: weight, headerRoute: headerRoute)))
    }

    /// `weightBefore`: the weight before this transition changed it, when it already has.
    private mutating func notify(
        _ kind: RolloutNotice.Kind, weightBefore: Int? = nil, alert: FiringAlert? = nil, detail: String? = nil
    ) {
        pendingNotices.append((kind, weightBefore ?? state.canaryWeight, alert, detail))
    }

    /// Bumps the state version if the rollout moved, then writes every notice against the final state.
    consuming func finish(from original: RolloutState.Position, allowedActions: (RolloutState) -> [HumanAction])
        -> RolloutOutcome
    {
        var final = state
        if final.position.differs(from: original) { final.version = original.version + 1 }
        // Only notices show them; a storm's alerts into a paused rollout send none.
        let allowed = pendingNotices.isEmpty ? [] : allowedActions(final)
        let notices = pendingNotices.map { pending in
            RolloutEffect.notify(
                RolloutNotice(
                    kind: pending.kind, run: final.run, phase: final.phase, reason: final.reason,
                    stateVersion: final.version, canaryWeightBefore: pending.weightBefore,
                    canaryWeightAfter: final.canaryWeight, actor: actor, alert: pending.alert,
                    allowedActions: allowed, since: final.since, autoRollbackAt: final.autoRollbackAt,
                    canaryVersion: final.canaryVersion, stableVersion: final.stableVersion, detail: pending.detail,
                    headerRoute: final.headerRoute
                ))
        }
        return RolloutOutcome(state: final, effects: effects + notices, actor: actor, refusal: nil)
    }
}
