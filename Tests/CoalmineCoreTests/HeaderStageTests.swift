import CoalmineCore
import Testing

/// Internal users first: a run starts with only header-matched requests on the canary, bakes, then goes on to the
/// weighted steps with the header route kept until it is promoted or rolled back.
@Suite struct HeaderStageTests {
    static let internalUsers = HeaderMatch(header: "x-user-group", kind: .exact, value: "internal")

    static func policy(approvalBefore: [Int] = []) -> RolloutPolicy {
        var policy = RolloutPolicy.testing
        policy.requireApprovalBefore = approvalBefore
        policy.headerStage = HeaderStage(match: internalUsers, bake: .seconds(7200))
        return policy
    }

    static func splits(_ driver: MachineDriver) -> [WeightSplit] {
        driver.lastEffects.compactMap { if case .setWeights(let split) = $0 { split } else { nil } }
    }

    @Test func aRunStartsWithTheHeaderRouteAloneThenBakesIntoTheFirstWeightKeepingIt() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 0, headerRoute: Self.internalUsers)])
        #expect(driver.state.phase == .observing)
        #expect(driver.state.step == -1)
        #expect(driver.state.isInHeaderStage)
        #expect(driver.state.trafficText == "internal (x-user-group=internal)")
        #expect(driver.state.nextStepAt == driver.now + .seconds(7200), "the stage bakes for its own bake")
        let started = driver.notices.first
        #expect(started?.kind == .started)
        #expect(started.map { NoticeText.headline($0, at: driver.now) } == "canary run 1 started: internal (x-user-group=internal) first")

        driver.wait(.seconds(7199))
        #expect(driver.lastEffects.isEmpty)
        driver.wait(.seconds(1))
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 5, headerRoute: Self.internalUsers)])
        #expect(driver.state.step == 0)
        #expect(!driver.state.isInHeaderStage)
        #expect(driver.state.trafficText == "stable/canary 95/5 + internal (x-user-group=internal)")
        #expect(driver.state.nextStepAt == driver.now + .seconds(3600), "weighted steps bake for the rollout's bake")
        #expect(driver.notices.map(\.kind) == [.stepAdvanced])
        #expect(
            driver.notices.first.map { NoticeText.headline($0, at: driver.now) }
                == "internal (x-user-group=internal) → canary weight 5 %")
    }

    @Test func promotionRemovesTheHeaderRouteEvenWhenTheLastWeightIsAlreadyAHundred() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        driver.wait(.seconds(7200))
        for _ in 0..<4 { driver.wait(.seconds(3600)) }
        #expect(driver.state.canaryWeight == 100)
        #expect(driver.state.headerRoute == Self.internalUsers)
        driver.wait(.seconds(3600))
        #expect(driver.state.phase == .promoted)
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 100, headerRoute: nil)])
        #expect(driver.state.headerRoute == nil)
    }

    @Test func aRollbackFromTheHeaderStageTakesTheHeaderRouteAway() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        driver.send(.alert(.firing("CanaryModelLoadFailed"), role: .abort))
        #expect(driver.state.phase == .rollingBack)
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 0, headerRoute: nil)])
        #expect(driver.state.headerRoute == nil)
        driver.send(.weightsApplied(run: 1, canaryWeight: 0))
        #expect(driver.state.phase == .rolledBack)
    }

    @Test func aGateAlertPausesTheStageAndItsResolutionBakesTheStageAgainWithTheRouteKept() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        driver.wait(.seconds(3600))
        let gate = AlertObservation.firing("CanaryLatencyHigh")
        driver.send(.alert(gate, role: .gate))
        #expect(driver.state.phase == .paused)
        #expect(driver.state.headerRoute == Self.internalUsers, "a pause keeps the header route")
        #expect(Self.splits(driver).isEmpty)
        driver.wait(.seconds(60))
        driver.send(.alert(gate.resolved, role: .gate))
        #expect(driver.state.phase == .observing)
        #expect(driver.state.step == -1)
        #expect(driver.state.nextStepAt == driver.now + .seconds(7200))
    }

    @Test func theBreakerInTheHeaderStagePagesAndAHumanResumesIntoTheStage() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        let breaker = AlertObservation.firing("CanaryErrorRatioHigh")
        driver.send(.alert(breaker, role: .breaker))
        #expect(driver.state.phase == .awaitingHuman)
        #expect(driver.state.reason == .breaker)
        #expect(driver.state.headerRoute == Self.internalUsers)
        #expect(driver.notices.first?.isInHeaderStage == true)
        driver.send(.alert(breaker.resolved, role: .breaker))
        driver.command(.resume)
        #expect(driver.state.phase == .observing)
        #expect(driver.state.nextStepAt == driver.now + .seconds(7200))
    }

    @Test func approvalBeforeTheFirstWeightWaitsAfterTheStageWithTheRouteInPlace() {
        var driver = MachineDriver(policy: Self.policy(approvalBefore: [5]))
        driver.command(.start)
        #expect(driver.state.isInHeaderStage)
        driver.wait(.seconds(7200))
        #expect(driver.state.phase == .awaitingHuman)
        #expect(driver.state.reason == .approval)
        #expect(Self.splits(driver).isEmpty, "the header route stays and no weight moves")
        driver.command(.approve)
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 5, headerRoute: Self.internalUsers)])
    }

    @Test func aHeaderRouteRemovedByHandIsPutBack() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        driver.send(.weightsObserved(run: 1, TrafficReading(canaryWeight: 0, headerRoute: nil)))
        #expect(Self.splits(driver) == [WeightSplit(run: 1, canary: 0, headerRoute: Self.internalUsers)])
        #expect(driver.notices.map(\.kind) == [.driftCorrected])
        #expect(
            driver.notices.first?.detail
                == "found stable/canary 100/0 without the header route in the cluster; restored 100/0 with header route x-user-group=internal")
        let unchanged = driver.state
        driver.send(.weightsObserved(run: 1, TrafficReading(canaryWeight: 0, headerRoute: Self.internalUsers)))
        #expect(driver.lastEffects.isEmpty)
        #expect(driver.state == unchanged)
    }

    @Test func aNewRunAfterAPromotionStartsFromTheStageAgainWithEveryoneElseOnStable() {
        var driver = MachineDriver(policy: Self.policy())
        driver.command(.start)
        driver.command(.promote)
        #expect(driver.state.phase == .promoted)
        driver.command(.start)
        #expect(Self.splits(driver) == [WeightSplit(run: 2, canary: 0, headerRoute: Self.internalUsers)])
    }
}
