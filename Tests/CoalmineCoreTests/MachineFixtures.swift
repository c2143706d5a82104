import CoalmineCore

/// A small world for driving the machine by hand: a policy, a clock and the last outcome.
struct MachineDriver {
    let machine: RolloutMachine
    var state: RolloutState
    var now: Timestamp
    var lastEffects: [RolloutEffect] = []
    var lastRefusal: ActionRefusal?

    init(policy: RolloutPolicy = .testing, start: Timestamp = Timestamp(secondsSinceEpoch: 1_800_000_000)) {
        self.machine = RolloutMachine(policy: policy)
        self.state = RolloutState(since: start)
        self.now = start
    }

    @discardableResult
    mutating func send(_ event: RolloutEvent) -> RolloutOutcome {
        let outcome = machine.handle(event, in: state, at: now)
        state = outcome.state
        lastEffects = outcome.effects
        lastRefusal = outcome.refusal
        return outcome
    }

    @discardableResult
    mutating func command(_ action: HumanAction, actor: String = "alice") -> RolloutOutcome {
        send(.command(HumanCommand(action, actor: actor)))
    }

    mutating func wait(_ duration: Duration) {
        now = now + duration
        send(.clock)
    }

    var notices: [RolloutNotice] {
        lastEffects.compactMap { if case .notify(let notice) = $0 { notice } else { nil } }
    }

    var weightChanges: [Int] {
        lastEffects.compactMap { if case .setWeights(let split) = $0 { split.canary } else { nil } }
    }
}

extension RolloutPolicy {
    static let testing = RolloutPolicy(
        steps: [5, 10, 30, 50, 100], bake: .seconds(3600), requireApprovalBefore: [],
        breaker: BreakerPolicy(), awaitingHuman: EscalationPolicy(renotifyEvery: .seconds(1800))
    )
}

extension AlertObservation {
    static func firing(
        _ name: String, fingerprint: String? = nil, startsAt: String = "2027-01-15T08:00:00Z",
        summary: String? = nil
    ) -> AlertObservation {
        AlertObservation(
            status: .firing, fingerprint: fingerprint ?? "fp-\(name)", startsAt: startsAt,
            labels: ["alertname": name], annotations: summary.map { ["summary": $0] } ?? [:]
        )
    }

    var resolved: AlertObservation {
        var copy = self
        copy.status = .resolved
        return copy
    }
}
