import CoalmineCore
import Testing

@Suite struct RolloutMachineTests {
    @Test func startSetsTheFirstWeightAndSchedulesTheBakeAsAnAbsoluteTime() {
        var driver = MachineDriver()
        driver.send(.command(HumanCommand(.start, actor: "alice", canaryVersion: "2.13.0-gpu", stableVersion: "2.12.0")))
        #expect(driver.state.phase == .observing)
        #expect(driver.state.run == 1)
        #expect(driver.state.canaryWeight == 5)
        #expect(driver.state.stableWeight == 95)
        #expect(driver.state.nextStepAt == driver.now + .seconds(3600))
        #expect(driver.state.canaryVersion == "2.13.0-gpu")
        #expect(driver.weightChanges == [5])
        #expect(driver.notices.map(\.kind) == [.started])
    }

    @Test func bakingWalksEveryStepThenPromotes() {
        var driver = MachineDriver()
        driver.command(.start)
        var weights = [driver.state.canaryWeight]
        for _ in 0..<4 {
            driver.wait(.seconds(3599))
            #expect(driver.weightChanges.isEmpty, "a step must bake its whole time")
            driver.wait(.seconds(1))
            weights.append(driver.state.canaryWeight)
        }
        #expect(weights == [5, 10, 30, 50, 100])
        #expect(
            driver.notices.map { NoticeText.headline($0, at: driver.now) } == ["canary weight 50 % → 100 %"],
            "a step names the weight it left")
        #expect(driver.state.phase == .observing)
        driver.wait(.seconds(3600))
        #expect(driver.state.phase == .promoted)
        #expect(driver.state.reason == .completed)
        #expect(driver.notices.map(\.kind) == [.promoted])
    }

    @Test func aGateAlertPausesAndItsResolutionRestartsTheBake() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.wait(.seconds(1800))
        let gate = AlertObservation.firing("CanaryLatencyHigh")
        driver.send(.alert(gate, role: .gate))
        #expect(driver.state.phase == .paused)
        #expect(driver.state.reason == .alert)
        #expect(driver.state.nextStepAt == nil)
        #expect(driver.notices.map(\.kind) == [.paused])
        driver.wait(.seconds(7200))
        #expect(driver.state.canaryWeight == 5, "no progress while paused")
        driver.send(.alert(gate.resolved, role: .gate))
        #expect(driver.state.phase == .observing)
        #expect(driver.state.nextStepAt == driver.now + .seconds(3600), "the bake restarts at the current step")
        #expect(driver.notices.map(\.kind) == [.resumed])
    }

    @Test func aClearedAlertActsAsItsLostResolutionWithTheHumanAsActor() throws {
        var driver = MachineDriver()
        driver.command(.start)
        let gate = AlertObservation.firing("CanaryLatencyHigh")
        let memory = AlertObservation.firing("CanaryGPUMemoryHigh")
        driver.send(.alert(gate, role: .gate))
        driver.send(.alert(memory, role: .gate))
        #expect(driver.state.phase == .paused)

        let first = driver.send(.alertCleared(fingerprint: gate.fingerprint, actor: "alice"))
        #expect(driver.state.phase == .paused, "the other alert still holds it")
        #expect(driver.state.firingAlerts.map(\.name) == ["CanaryGPUMemoryHigh"])
        #expect(first.actor == "alice")
        let second = driver.send(.alertCleared(fingerprint: memory.fingerprint, actor: "alice"))
        #expect(driver.state.phase == .observing)
        #expect(driver.state.nextStepAt == driver.now + .seconds(3600), "the bake restarts, as on a resolution")
        #expect(driver.notices.map(\.kind) == [.resumed])
        #expect(second.actor == "alice")

        let unknown = driver.send(.alertCleared(fingerprint: "no-such-alert", actor: "alice"))
        #expect(unknown.state == driver.state && unknown.effects.isEmpty, "nothing to clear, nothing changes")
    }

    @Test func theBreakerFreezesTheCanaryAndPagesAndItsResolutionKeepsWaitingForAHuman() throws {
        var driver = MachineDriver()
        driver.command(.start)
        driver.wait(.seconds(3600))
        let breaker = AlertObservation.firing("CanaryErrorRatioHigh", summary: "error ratio 1.7 % > 1 % for 5m")
        driver.send(.alert(breaker, role: .breaker))
        #expect(driver.state.phase == .awaitingHuman)
        #expect(driver.state.reason == .breaker)
        #expect(driver.state.canaryWeight == 10)
        let page = try #require(driver.notices.first)
        #expect(page.kind == .awaitingHuman)
        #expect(page.alert?.summary == "error ratio 1.7 % > 1 % for 5m")
        #expect(page.allowedActions == [.resume, .rollback])

        driver.wait(.seconds(3 * 3600))
        #expect(driver.state.canaryWeight == 10, "weights stay frozen while the bake time passes")
        #expect(driver.state.phase == .awaitingHuman, "without autoRollbackAfter nothing rolls back alone")

        driver.send(.alert(breaker.resolved, role: .breaker))
        #expect(driver.state.phase == .awaitingHuman)
        #expect(driver.notices.map(\.kind) == [.breakerCleared])
    }

    @Test func remindersRepeatWhileWaitingAndOneIsSentAfterDowntime() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.send(.alert(.firing("CanaryErrorRatioHigh"), role: .breaker))
        driver.wait(.seconds(1799))
        #expect(driver.notices.isEmpty)
        driver.wait(.seconds(1))
        #expect(driver.notices.map(\.kind) == [.reminder])
        driver.wait(.seconds(5 * 3600))
        #expect(driver.notices.map(\.kind) == [.reminder], "one reminder after a long gap, not ten")
        #expect(driver.state.nextReminderAt! > driver.now)
    }

    @Test func autoRollbackHappensOnlyWhenConfiguredAndNamesTimeoutAsActor() {
        var policy = RolloutPolicy.testing
        policy.awaitingHuman.autoRollbackAfter = .seconds(7200)
        var driver = MachineDriver(policy: policy)
        driver.command(.start)
        driver.send(.alert(.firing("CanaryErrorRatioHigh"), role: .breaker))
        #expect(driver.notices.first?.autoRollbackAt == driver.now + .seconds(7200))
        driver.wait(.seconds(7199))
        #expect(driver.state.phase == .awaitingHuman)
        let outcome = driver.send(.clock)
        #expect(outcome.state.phase == .awaitingHuman)
        driver.wait(.seconds(1))
        #expect(driver.state.phase == .rollingBack)
        #expect(driver.state.reason == .timeout)
        #expect(driver.notices.first?.actor == "timeout")
        #expect(driver.weightChanges == [0])
    }

    @Test func rollbackCompletesOnlyWhenTheRouterReadsBackZero() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.wait(.seconds(3600))
        driver.command(.rollback, actor: "bob")
        #expect(driver.state.phase == .rollingBack)
        #expect(driver.state.canaryWeight == 0)
        #expect(driver.weightChanges == [0])
        #expect(driver.notices.first?.canaryWeightBefore == 10)
        driver.send(.weightsApplied(run: 1, canaryWeight: 10))
        #expect(driver.state.phase == .rollingBack, "a read-back that still shows canary traffic is not a rollback")
        driver.send(.weightsApplied(run: 0, canaryWeight: 0))
        #expect(driver.state.phase == .rollingBack, "another run's read-back does not count")
        driver.send(.weightsApplied(run: 1, canaryWeight: 0))
        #expect(driver.state.phase == .rolledBack)
        #expect(driver.notices.map(\.kind) == [.rolledBack])
    }

    @Test func aStuckRollbackIsAnnouncedAfterRepeatedFailuresAndKeepsTrying() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.command(.rollback)
        var announced: [Int] = []
        for attempt in 1...40 {
            driver.send(.weightsFailed(run: 1, message: "503 from API server"))
            if driver.notices.contains(where: { $0.kind == .rollbackStuck }) { announced.append(attempt) }
        }
        #expect(announced == [3, 20, 40])
        #expect(driver.state.phase == .rollingBack)
        #expect(driver.state.rollbackFailures == 40)
    }

    @Test func anAbortAlertRollsBackFromAnyActiveStateAtOnce() {
        for setup in [HumanAction.pause, .resume] {
            var driver = MachineDriver()
            driver.command(.start)
            if setup == .pause { driver.command(.pause) }
            driver.send(.alert(.firing("TFServingOpKernelMissing"), role: .abort))
            #expect(driver.state.phase == .rollingBack)
            #expect(driver.state.reason == .abort)
            #expect(driver.notices.first?.actor == "alert:TFServingOpKernelMissing")
        }
    }

    @Test func resumeAcknowledgesFiringAlertsWhichKeepTheRolloutPausedButDoNotPageAgain() {
        var driver = MachineDriver()
        driver.command(.start)
        let breaker = AlertObservation.firing("CanaryErrorRatioHigh")
        driver.send(.alert(breaker, role: .breaker))
        driver.command(.resume)
        #expect(driver.state.phase == .paused)
        #expect(driver.state.reason == .alert)
        #expect(driver.state.firingAlerts.allSatisfy { $0.acknowledged })
        driver.send(.alert(breaker, role: .breaker))
        #expect(driver.lastEffects.isEmpty, "the same firing, re-sent, pages nobody")
        let again = AlertObservation.firing("CanaryErrorRatioHigh", startsAt: "2027-01-15T09:30:00Z")
        driver.send(.alert(again, role: .breaker))
        #expect(driver.state.phase == .awaitingHuman, "a new firing episode pages again")
        driver.send(.alert(again.resolved, role: .breaker))
        driver.command(.resume)
        #expect(driver.state.phase == .observing)
    }

    @Test func approvalIsAskedBeforeAListedWeightAndGrantedByAHuman() {
        var policy = RolloutPolicy.testing
        policy.requireApprovalBefore = [100]
        var driver = MachineDriver(policy: policy)
        driver.command(.start)
        for _ in 0..<3 { driver.wait(.seconds(3600)) }
        #expect(driver.state.canaryWeight == 50)
        driver.wait(.seconds(3600))
        #expect(driver.state.phase == .awaitingHuman)
        #expect(driver.state.reason == .approval)
        #expect(driver.state.canaryWeight == 50)
        #expect(driver.notices.map(\.kind) == [.approvalNeeded])
        #expect(driver.notices.first?.allowedActions == [.resume, .approve, .promote, .rollback])
        driver.command(.approve)
        #expect(driver.state.phase == .observing)
        #expect(driver.state.canaryWeight == 100)
        #expect(driver.weightChanges == [100])
    }

    @Test func actionsThatWouldRaiseTheWeightAreRefusedWhileAnAlertFires() throws {
        var policy = RolloutPolicy.testing
        policy.requireApprovalBefore = [10]
        var driver = MachineDriver(policy: policy)
        driver.command(.start)
        driver.wait(.seconds(3600))
        driver.send(.alert(.firing("CanaryLatencyHigh"), role: .gate))
        let before = driver.state
        driver.command(.approve)
        let refusal = try #require(driver.lastRefusal)
        #expect(refusal.blockingAlert == "CanaryLatencyHigh")
        #expect("\(refusal)".contains("while alert CanaryLatencyHigh is firing"))
        #expect(driver.state == before)
        driver.command(.promote)
        #expect(driver.lastRefusal?.action == .promote)
        #expect(driver.state.canaryWeight == 5)
    }

    @Test(arguments: [
        (HumanAction.pause, "cannot pause a rollout that is idle; allowed now: start"),
        (.resume, "cannot resume a rollout that is idle; allowed now: start"),
        (.rollback, "cannot rollback a rollout that is idle; allowed now: start"),
    ])
    func actionsNotAllowedNowAreRefusedNamingTheStateAndTheAllowedActions(action: HumanAction, message: String) {
        var driver = MachineDriver()
        let outcome = driver.command(action)
        #expect(outcome.refusal.map { "\($0)" } == message)
        #expect(outcome.effects.isEmpty)
        #expect(driver.state.phase == .idle)
    }

    @Test func manualPauseDoesNotResumeWhenAlertsResolve() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.command(.pause)
        let gate = AlertObservation.firing("CanaryLatencyHigh")
        driver.send(.alert(gate, role: .gate))
        driver.send(.alert(gate.resolved, role: .gate))
        #expect(driver.state.phase == .paused)
        #expect(driver.state.reason == .manual)
        driver.command(.resume)
        #expect(driver.state.phase == .observing)
    }

    @Test func humanPromoteSetsFullWeightAndANewRunStartsAgainFromTheFirstStep() {
        var driver = MachineDriver()
        driver.command(.start)
        driver.command(.promote)
        #expect(driver.state.phase == .promoted)
        #expect(driver.weightChanges == [100])
        driver.command(.start)
        #expect(driver.state.run == 2)
        #expect(driver.state.canaryWeight == 5)
        #expect(driver.weightChanges == [5])
    }

    @Test func theStateVersionMovesWithThePhaseAndNoticesCarryTheNewVersion() {
        var driver = MachineDriver()
        driver.command(.start)
        let started = driver.state.version
        #expect(driver.notices.first?.stateVersion == started)
        driver.send(.alert(.firing("CanaryLatencyHigh"), role: .gate))
        #expect(driver.state.version == started + 1)
        let duplicate = driver.send(.alert(.firing("CanaryLatencyHigh"), role: .gate))
        #expect(duplicate.state.version == started + 1)
    }
}
