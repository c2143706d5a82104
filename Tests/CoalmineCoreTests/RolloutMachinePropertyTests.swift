import CoalmineCore
import PropertyBased
import Testing

/// Thousands of random event sequences; after every event the invariants that make Coalmine safe must hold.
@Suite struct RolloutMachinePropertyTests {
    /// Every event a sequence can contain. An index into this table is what the generator draws, so a failing
    /// sequence shrinks to a short, readable list.
    static let vocabulary: [(label: String, advance: Duration, event: @Sendable (RolloutState) -> RolloutEvent)] = {
        var events: [(String, Duration, @Sendable (RolloutState) -> RolloutEvent)] = []
        for action in HumanAction.allCases {
            events.append((action.rawValue, .zero, { _ in .command(HumanCommand(action, actor: "prop")) }))
        }
        for role in AlertRole.allCases {
            for episode in ["2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"] {
                let alert = AlertObservation(
                    status: .firing, fingerprint: "fp-\(role)", startsAt: episode,
                    labels: ["alertname": "\(role)-alert"])
                events.append(("\(role) fires \(episode.prefix(10))", .zero, { _ in .alert(alert, role: role) }))
                events.append(("\(role) resolves \(episode.prefix(10))", .zero, { _ in .alert(alert.resolved, role: role) }))
            }
            events.append(("\(role) cleared by a human", .zero, { _ in .alertCleared(fingerprint: "fp-\(role)", actor: "prop") }))
        }
        for advance in [Duration.seconds(60), .seconds(1800), .seconds(3600), .seconds(86_400)] {
            events.append(("clock +\(DurationText.format(advance))", advance, { _ in .clock }))
        }
        events.append(("router applied", .zero, { .weightsApplied(run: $0.run, canaryWeight: $0.canaryWeight) }))
        events.append(("router failed", .zero, { .weightsFailed(run: $0.run, message: "boom") }))
        events.append(("drift to 37", .zero, { .weightsObserved(run: $0.run, TrafficReading(canaryWeight: 37)) }))
        events.append(
            ("header route deleted by hand", .zero, {
                .weightsObserved(run: $0.run, TrafficReading(canaryWeight: $0.canaryWeight, headerRoute: nil))
            }))
        return events
    }()

    static let sequences = Gen.int(in: 0...(vocabulary.count - 1)).array(of: 1...80)

    static let policies: [RolloutPolicy] = {
        var withApprovalAndTimeout = RolloutPolicy.testing
        withApprovalAndTimeout.requireApprovalBefore = [5, 50]
        withApprovalAndTimeout.awaitingHuman.autoRollbackAfter = .seconds(7200)
        var internalUsersFirst = RolloutPolicy.testing
        internalUsersFirst.requireApprovalBefore = [5]
        internalUsersFirst.headerStage = HeaderStage(
            match: HeaderMatch(header: "x-user-group", kind: .exact, value: "internal"), bake: .seconds(1800))
        return [.testing, withApprovalAndTimeout, internalUsersFirst]
    }()

    @Test(arguments: 0..<3)
    func invariantsHoldOverRandomEventSequences(policyIndex: Int) async {
        let machine = RolloutMachine(policy: Self.policies[policyIndex])
        let autoRollback = Self.policies[policyIndex].awaitingHuman.autoRollbackAfter != nil
        await propertyCheck(count: 2500, input: Self.sequences) { indices in
            var state = RolloutState(since: Timestamp(secondsSinceEpoch: 1_800_000_000))
            var now = state.since
            for index in indices {
                let (label, advance, makeEvent) = Self.vocabulary[index]
                now = now + advance
                let event = makeEvent(state)
                let outcome = machine.handle(event, in: state, at: now)
                let next = outcome.state
                if case .clock = event {
                    // The ticker looks at a rollout only when its deadline comes: before it, time changes nothing,
                    // and a deadline that came is never left behind.
                    if state.nextDeadline.map({ $0 > now }) ?? true {
                        #expect(next == state && outcome.effects.isEmpty, "time before the deadline acted at '\(label)'")
                    }
                    #expect(next.nextDeadline.map { $0 > now } ?? true, "a due deadline stayed due at '\(label)'")
                }
                Self.checkInvariants(
                    before: state, after: next, effects: outcome.effects, event: event, label: label,
                    autoRollback: autoRollback)
                state = next
            }
        }
    }

    static func checkInvariants(
        before: RolloutState, after: RolloutState, effects: [RolloutEffect], event: RolloutEvent, label: String,
        autoRollback: Bool
    ) {
        let alertFiring = !before.firingAlerts.isEmpty || !after.firingAlerts.isEmpty
        let splits = effects.compactMap { if case .setWeights(let split) = $0 { split } else { nil } }
        let requested = splits.map(\.canary)
        if alertFiring {
            #expect(after.canaryWeight <= before.canaryWeight, "weight rose during an alert at '\(label)'")
            #expect(requested.allSatisfy { $0 <= before.canaryWeight }, "a higher weight was requested at '\(label)'")
            if before.headerRoute == nil {
                #expect(after.headerRoute == nil, "a header route was added during an alert at '\(label)'")
            }
        }
        // The header route lives only while a run is under way, and every request carries the state's.
        if !after.phase.isActive || after.phase == .rollingBack {
            #expect(after.headerRoute == nil, "a header route outlived its run at '\(label)'")
        }
        if let last = splits.last { #expect(last.headerRoute == after.headerRoute, "the last request is the state's route") }
        if after.phase == .rolledBack { #expect(after.canaryWeight == 0) }
        if after.phase == .promoted { #expect(after.canaryWeight == 100) }
        #expect((0...100).contains(after.canaryWeight))
        if let last = requested.last { #expect(last == after.canaryWeight, "the last request is the state's weight") }

        var isStart = false
        if case .command(let command) = event, command.action == .start { isStart = true }
        if !before.phase.isActive, !isStart {
            #expect(after.phase == before.phase, "a terminal state changed without start at '\(label)'")
            #expect(after.canaryWeight == before.canaryWeight)
            #expect(requested.isEmpty)
        }

        let entered =
            (after.phase != before.phase || after.reason != before.reason)
            && (after.phase == .awaitingHuman || after.phase == .rollingBack)
        if entered {
            #expect(
                effects.contains { if case .notify = $0 { true } else { false } },
                "entered \(after.phase.rawValue) silently at '\(label)'")
        }

        if after.phase == .rollingBack, before.phase != .rollingBack {
            var humanOrAbort = false
            if case .command(let command) = event, command.action == .rollback { humanOrAbort = true }
            if case .alert(let alert, let role) = event, role == .abort, alert.status == .firing { humanOrAbort = true }
            if !autoRollback {
                #expect(humanOrAbort, "rolled back without a human or an abort alert at '\(label)'")
            }
        }
        if before.phase == .rollingBack, after.phase != .rollingBack {
            #expect(after.phase == .rolledBack, "left rolling-back other than by a confirmed rollback")
        }
    }
}
