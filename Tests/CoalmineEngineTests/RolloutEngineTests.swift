import CoalmineCore
import Foundation
import CoalmineEngine
import CoalmineJournal
import CoalmineTestSupport
import Testing

@testable import CoalmineEngine

@Suite struct RolloutEngineTests {
    @Test func aRestartResumesTheSameStatePendingEffectsAndBakeDeadline() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        fixture.clock.advance(by: .seconds(600))
        _ = try await fixture.engine.receive([.tfAlert("CanaryLatencyHigh")], source: "alertmanager")
        _ = try await fixture.engine.receive([.tfAlert("CanaryLatencyHigh").resolved], source: "alertmanager")
        let before = try await fixture.view()
        let pendingBefore = try await fixture.journal.pendingEffects()
        #expect(before.state == .observing)
        #expect(!pendingBefore.isEmpty, "nothing has run the effects yet")

        // The process dies here: no effect ran. A new engine reads the same file.
        try await fixture.reopen()
        let after = try await fixture.view()
        #expect(after == before)
        #expect(after.nextStepAt == before.nextStepAt, "the bake deadline is absolute, not restarted")
        #expect(try await fixture.journal.pendingEffects() == pendingBefore)

        fixture.clock.advance(by: .seconds(3599))
        try await fixture.engine.tick()
        #expect(try await fixture.view().canaryWeight == 5)
        fixture.clock.advance(by: .seconds(1))
        try await fixture.engine.tick()
        #expect(try await fixture.view().canaryWeight == 10)
    }

    @Test func aTickLooksOnlyAtDueDeadlinesAndSaysWhenTheNextComes() async throws {
        let fixture = try await EngineFixture()
        #expect(try await fixture.engine.tick() == nil, "an idle rollout has no deadline")
        try await fixture.command(.start)
        let bakeEnds = try #require(try await fixture.view().nextStepAt)
        #expect(try await fixture.engine.tick() == bakeEnds)
        fixture.clock.advance(by: .seconds(3600))
        #expect(try await fixture.engine.tick() == bakeEnds + .seconds(3600), "the next step's bake")
        #expect(try await fixture.view().canaryWeight == 10)
        try await fixture.command(.pause)
        #expect(try await fixture.engine.tick() == nil, "a paused rollout waits for nothing but a human")
    }

    @Test(.timeLimit(.minutes(1))) func theTickerWakesForTheNextDeadlineByItself() async throws {
        let workspace = try TestWorkspace()
        let config = try workspace.config(rolloutExtra: "    bake: 200ms")
        let engine = try await RolloutEngine(config: config, store: try SQLiteJournal(path: workspace.journalPath))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await RolloutTicker(engine: engine, longestSleep: .seconds(30)).run() }
            // Started after the ticker went to sleep with nothing to wait for: the new deadline must wake it.
            try await Task.sleep(for: .milliseconds(50))
            _ = try await engine.perform(HumanCommand(.start, actor: "alice"), on: "tf-model-service")
            try await waitUntil(.seconds(10)) { try await engine.view(of: "tf-model-service").canaryWeight >= 30 }
            group.cancelAll()
        }
    }

    @Test func aRepeatedDeliveryChangesNothingAndJournalsNothing() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let breaker = AlertObservation.tfAlert("CanaryErrorRatioHigh", role: .breaker)
        let first = try await fixture.engine.receive([breaker], source: "alertmanager")
        #expect(first == AlertIntake(received: 1, matched: 1, transitions: 1))
        let entries = try await fixture.engine.history(of: "tf-model-service").count
        let again = try await fixture.engine.receive([breaker], source: "alertmanager")
        #expect(again == AlertIntake(received: 1, matched: 1, transitions: 0))
        #expect(try await fixture.engine.history(of: "tf-model-service").count == entries)
    }

    @Test func aFiringResentAfterItsResolutionDoesNotReopenIt() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let gate = AlertObservation.tfAlert("CanaryLatencyHigh")
        _ = try await fixture.engine.receive([gate], source: "alertmanager")
        _ = try await fixture.engine.receive([gate.resolved], source: "alertmanager")
        let late = try await fixture.engine.receive([gate], source: "alertmanager-peer")
        #expect(late.transitions == 0)
        #expect(try await fixture.view().state == .observing)
        #expect(try await fixture.view().firingAlerts.isEmpty)
    }

    @Test func aStuckAlertClearedByAHumanLetsTheRolloutGoOnAndCountsAgainWhenItFiresAgain() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let gate = AlertObservation.tfAlert("CanaryLatencyHigh")
        _ = try await fixture.engine.receive([gate], source: "alertmanager")
        #expect(try await fixture.view().state == .paused)
        let received = fixture.clock.now()
        fixture.clock.advance(by: .seconds(300))
        _ = try await fixture.engine.receive([gate], source: "alertmanager")
        let firing = try #require(try await fixture.view().firingAlerts.first)
        #expect(firing.fingerprint == "fp-CanaryLatencyHigh")
        #expect(firing.receivedAt == received)
        #expect(firing.lastSeenAt == received + .seconds(300), "the repeat delivery shows the alert is still sent")

        await #expect {
            try await fixture.engine.clearAlert("fp-other", of: "tf-model-service", actor: "alice", reason: "lost")
        } throws: { error in
            "\(error)" == "no alert with fingerprint fp-other fires for rollout tf-model-service; firing now: fp-CanaryLatencyHigh"
        }
        let view = try await fixture.engine.clearAlert(
            "fp-CanaryLatencyHigh", of: "tf-model-service", actor: "alice", reason: "resolution lost in an Alertmanager restart")
        #expect(view.state == .observing)
        #expect(view.firingAlerts.isEmpty)
        let history = try await fixture.engine.history(of: "tf-model-service")
        let cleared = try #require(history.last { $0.kind == .humanAction })
        #expect(cleared.body.contains("\"action\":\"clear-alert\""))
        #expect(cleared.body.contains("\"reason\":\"resolution lost in an Alertmanager restart\""))
        #expect(history.last { $0.kind == .transition }?.body.contains("\"actor\":\"alice\"") == true)

        // Alertmanager sends the same firing again: it is firing after all, so it counts again.
        let again = try await fixture.engine.receive([gate], source: "alertmanager")
        #expect(again.transitions == 1)
        #expect(try await fixture.view().state == .paused)
        var reopened = fixture
        try await reopened.reopen()
        #expect(try await reopened.view().state == .paused, "the forgotten delivery stays forgotten after a restart")
    }

    @Test func aClearedAlertStaysForgottenAcrossARestart() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        let gate = AlertObservation.tfAlert("CanaryLatencyHigh")
        _ = try await fixture.engine.receive([gate], source: "alertmanager")
        // Cleared a while after it was first seen, in a later commit: the store must still find that delivery.
        fixture.clock.advance(by: .seconds(90))
        _ = try await fixture.engine.clearAlert("fp-CanaryLatencyHigh", of: "tf-model-service", actor: "alice", reason: "lost")
        try await fixture.reopen()
        let again = try await fixture.engine.receive([gate], source: "alertmanager")
        #expect(again.transitions == 1, "after a restart the same firing still counts again")
        #expect(try await fixture.view().state == .paused)
    }

    @Test func hugeAlertsAreKeptCutNotRefusedAndStillRoutedByEveryLabel() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let huge = String(repeating: "x", count: 1 << 20)
        var labels = ["alertname": "CanaryErrorRatioHigh", "service": "tf-model-service", "coalmine_role": "breaker"]
        for index in 0..<100 { labels["a\(index < 10 ? "0" : "")\(index)"] = index == 0 ? huge : "v" }
        let alert = AlertObservation(
            status: .firing, fingerprint: "big", startsAt: "2027-01-15T08:00:00Z", labels: labels,
            annotations: ["summary": huge])
        let intake = try await fixture.engine.receive([alert], source: "alertmanager")
        #expect(intake.transitions == 1)
        #expect(try await fixture.view().state == .awaitingHuman, "routed and given its role by labels it did not keep")

        let received = try #require(try await fixture.engine.history(of: "tf-model-service").last { $0.kind == .alertReceived })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
        let kept = try #require(body["labels"] as? [String: String])
        #expect(kept.count == 64)
        #expect(kept["service"] == nil && kept["a63"] == "v", "the first 64 in sorted order")
        #expect(body["labelsNotKept"] as? Int == 39)
        let value = try #require(kept["a00"])
        #expect(value.utf8.count <= 4096 && value.hasSuffix(TextLimit.marker))
        let summary = try #require((body["annotations"] as? [String: String])?["summary"])
        #expect(summary.utf8.count <= 4096 && summary.hasSuffix(TextLimit.marker))
        #expect(received.body.utf8.count < 300_000)

        let firing = try #require(try await fixture.view().firingAlerts.first)
        #expect(firing.summary.map { $0.utf8.count <= 4096 && $0.hasSuffix(TextLimit.marker) } == true, "pages show the cut")
        await fixture.runner.runDueEffects()
        let page = try #require(fixture.notifier.messages.last)
        let cause = try #require(page.facts.first { $0.label == "Alert" }?.value)
        #expect(cause.contains(TextLimit.marker) && cause.utf8.count < 8000, "messages show the cut")
    }

    @Test func alertsOfNoRolloutAreCountedAndIgnored() async throws {
        let fixture = try await EngineFixture()
        let stranger = AlertObservation(
            status: .firing, fingerprint: "x", startsAt: "2027-01-01T00:00:00Z", labels: ["alertname": "DiskFull"])
        let intake = try await fixture.engine.receive([stranger], source: "alertmanager")
        #expect(intake == AlertIntake(received: 1, matched: 0, transitions: 0))
        #expect(try await fixture.engine.history(of: "tf-model-service").isEmpty)
    }

    @Test func aFailedCommitChangesNothingAndTheRetriedDeliveryStillCounts() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let before = try await fixture.view()
        fixture.journal.failCommits(true)
        let breaker = AlertObservation.tfAlert("CanaryErrorRatioHigh", role: .breaker)
        await #expect(throws: EngineError.self) {
            try await fixture.engine.receive([breaker], source: "alertmanager")
        }
        #expect(try await fixture.view() == before, "the working state fell back to the durable one")
        fixture.journal.failCommits(false)
        let retried = try await fixture.engine.receive([breaker], source: "alertmanager")
        #expect(retried.transitions == 1, "the failed delivery was not remembered as seen")
        #expect(try await fixture.view().state == .awaitingHuman)
    }

    /// A delivery computed on top of one whose write fails was computed on a state that never became durable: it
    /// fails too, and the engine starts again from what the journal holds, as at a start.
    @Test(.timeLimit(.minutes(1))) func aFailedWriteFailsTheDeliveriesQueuedBehindItAndTheJournalIsTheStateAgain() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let before = try await fixture.view()
        let engine = fixture.engine
        fixture.journal.failCommits(true)
        fixture.journal.holdCommits()
        let first = await fixture.deliveryBeingWritten(.tfAlert("Gate1"))
        let second = Task { try await engine.receive([.tfAlert("Gate2", startsAt: "2027-01-15T08:00:01Z")], source: "alertmanager") }
        while engine.commits.counts.waiting < 1 { await Task.yield() }
        fixture.journal.releaseCommits()
        await #expect(throws: EngineError.self) { try await first.value }
        await #expect(throws: EngineError.self) { try await second.value }
        #expect(fixture.journal.commitCount == 2, "the start's, and the failed one; the queued delivery was never written")

        fixture.journal.failCommits(false)
        #expect(try await fixture.view() == before)
        let retried = try await engine.receive(
            [.tfAlert("Gate1"), .tfAlert("Gate2", startsAt: "2027-01-15T08:00:01Z")], source: "alertmanager")
        #expect(retried.matched == 2 && retried.transitions == 1, "both count again")
        #expect(try await fixture.view().firingAlerts.map(\.name) == ["Gate1", "Gate2"])
    }

    /// While the engine reloads its state after a failed write, that state still holds the failed delivery. A
    /// repeat of it, computed there, finds nothing left to change; answered as taken, it would be lost with the
    /// reload. It is refused like any delivery then, and the sender's next retry counts.
    @Test(.timeLimit(.minutes(1))) func aDeliveryDuringTheReloadIsRefusedEvenWhenItWouldChangeNothing() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let engine = fixture.engine
        let breaker = AlertObservation.tfAlert("CanaryErrorRatioHigh", role: .breaker)
        fixture.journal.failCommits(true)
        fixture.journal.holdLoads()
        let failing = Task { try await engine.receive([breaker], source: "alertmanager") }
        while fixture.journal.loadsWaiting == 0 { await Task.yield() }
        fixture.journal.failCommits(false)
        await #expect(throws: EngineError.self, "answered on a state the journal never took") {
            try await engine.receive([breaker], source: "alertmanager")
        }
        fixture.journal.releaseLoads()
        await #expect(throws: EngineError.self) { try await failing.value }
        let retried = try await engine.receive([breaker], source: "alertmanager")
        #expect(retried.transitions == 1, "the retry after the reload is acted on")
        #expect(try await fixture.view().state == .awaitingHuman)
    }

    /// A view, and the list of them, shows the engine's state only once the last change to it is durable: never a
    /// delivery the journal did not take, and a delivery being written as soon as it is taken.
    @Test(.timeLimit(.minutes(1))) func aViewShowsAChangeOnlyOnceItIsDurable() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let before = try await fixture.view()
        fixture.journal.failCommits(true)
        fixture.journal.holdCommits()
        let failing = await fixture.deliveryBeingWritten(.tfAlert("Gate1"))
        let duringFailingWrite = Task { try await fixture.view() }
        let listDuringFailingWrite = Task { try await fixture.engine.views() }
        fixture.journal.releaseCommits()
        await #expect(throws: EngineError.self) { try await failing.value }
        let seen = try? await duringFailingWrite.value
        #expect(seen == nil || seen == before, "a failed write's delivery is never shown")
        let listed = try? await listDuringFailingWrite.value
        #expect(listed == nil || listed == [before], "nor listed")

        fixture.journal.failCommits(false)
        fixture.journal.holdCommits()
        let taken = await fixture.deliveryBeingWritten(.tfAlert("Gate2"))
        let duringWrite = Task { try await fixture.view() }
        let listDuringWrite = Task { try await fixture.engine.views() }
        fixture.journal.releaseCommits()
        _ = try await taken.value
        #expect(try await duringWrite.value.firingAlerts.map(\.name) == ["Gate2"])
        #expect(try await listDuringWrite.value.map { $0.firingAlerts.map(\.name) } == [["Gate2"]])
    }

    @Test func concurrentDeliveriesShareCommits() async throws {
        let fixture = try await EngineFixture()
        let engine = fixture.engine
        let deliveries = 40
        fixture.journal.holdCommits()
        try await withThrowingTaskGroup(of: AlertIntake.self) { group in
            for index in 0..<deliveries {
                group.addTask {
                    try await engine.receive(
                        [.tfAlert("Gate\(index)", startsAt: "2027-01-15T08:00:\(10 + index).0Z")], source: "alertmanager")
                }
            }
            // Hold the first write until every other delivery has queued behind it.
            while engine.commits.counts.waiting + engine.commits.counts.beingWritten < deliveries { await Task.yield() }
            fixture.journal.releaseCommits()
            var matched = 0
            for try await intake in group { matched += intake.matched }
            #expect(matched == deliveries)
        }
        // The writer may have taken a few deliveries into its first write before the rest queued; never more than two.
        #expect(fixture.journal.commitCount <= 2, "one write for the first deliveries, one for all that queued meanwhile")
        #expect(fixture.journal.unitCount == deliveries)
        #expect(try await fixture.view().firingAlerts.count == deliveries)
    }

    @Test func effectsRunThroughTheRouterAndNotifierAndTheirResultsAreJournaled() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        await fixture.runner.runDueEffects()
        #expect(fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 5))
        #expect(fixture.notifier.delivered.map(\.kind) == [.started])
        #expect(try await fixture.journal.pendingEffects().isEmpty)

        try await fixture.command(.rollback, actor: "bob")
        #expect(try await fixture.view().state == .rollingBack)
        await fixture.runner.runDueEffects()
        #expect(fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 0))
        #expect(try await fixture.view().state == .rolledBack, "the read-back of 0 completes the rollback")
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.delivered.map(\.kind) == [.started, .rollingBack, .rolledBack])

        let results = try await fixture.engine.history(of: "tf-model-service").filter { $0.kind == .effectResult }
        #expect(results.contains { $0.body.contains("\"status\":\"applied\"") && $0.body.contains("\"canaryWeight\":0") })
    }

    @Test func aRollbackTheRouterCannotApplyIsRetriedAnnouncedAndCompletedLater() async throws {
        let fixture = try await EngineFixture()
        let router = FlakyRouter()
        let runner = fixture.runner(router: router)
        try await fixture.command(.start)
        await runner.runDueEffects()
        router.fail(times: 3)
        try await fixture.command(.rollback)
        for _ in 0..<3 {
            await runner.runDueEffects()
            fixture.clock.advance(by: .seconds(600))
        }
        #expect(try await fixture.view().state == .rollingBack, "no read-back of 0 yet: still rolling back")
        #expect(router.applied?.canary == 5)
        await runner.runDueEffects()
        #expect(router.applied?.canary == 0)
        #expect(try await fixture.view().state == .rolledBack)
        await runner.runDueEffects()
        #expect(fixture.notifier.delivered.map(\.kind) == [.started, .rollingBack, .rollbackStuck, .rolledBack])
        let stuck = try #require(fixture.notifier.delivered.first { $0.kind == .rollbackStuck })
        #expect(stuck.detail == "3 attempts failed; last error: 503 Service Unavailable from the API server")
    }

    @Test func remindersCarryFreshLinksAndTheElapsedTime() async throws {
        let fixture = try await EngineFixture(rolloutExtra: "    awaitingHuman: { renotifyEvery: 30m, autoRollbackAfter: 2h }")
        try await fixture.command(.start)
        _ = try await fixture.engine.receive([.tfAlert("CanaryErrorRatioHigh", role: .breaker)], source: "alertmanager")
        await fixture.runner.runDueEffects()
        fixture.clock.advance(by: .seconds(1800))
        try await fixture.engine.tick()
        await fixture.runner.runDueEffects()
        let messages = fixture.notifier.messages
        #expect(messages.map(\.notice.kind) == [.started, .awaitingHuman, .reminder])
        let page = messages[1]
        let reminder = messages[2]
        #expect(reminder.title == "tf-model-service: reminder: waiting for a human decision for 30m")
        #expect(reminder.links.map(\.action) == [.rollback, .resume])
        #expect(Set(reminder.links.map(\.url)).isDisjoint(with: page.links.map(\.url)), "fresh links, fresh nonces")
        #expect(reminder.links[0].expiresAt == fixture.clock.now() + .seconds(12 * 3600))
        let autoRollback = reminder.facts.first { $0.label == "Rolls back without a human at" }?.value
        #expect(autoRollback == (page.notice.since + .seconds(7200)).rfc3339, "every message says when it rolls back")
    }

    @Test func driftIsJournaledWithBothSplitsCorrectedAndAnnounced() async throws {
        let fixture = try await EngineFixture()
        let watcher = DriftWatcher(engine: fixture.engine, router: fixture.router, interval: .seconds(30))
        try await fixture.command(.start)
        await watcher.checkOnce()
        #expect(try await fixture.engine.history(of: "tf-model-service").allSatisfy { $0.kind != .driftDetected },
            "a weight change still in the outbox is not drift")
        await fixture.runner.runDueEffects()

        fixture.router.overwrite(WeightSplit(run: 1, canary: 0), of: "tf-model-service")  // a GitOps revert
        await watcher.checkOnce()
        let drift = try #require(try await fixture.engine.history(of: "tf-model-service").first { $0.kind == .driftDetected })
        #expect(drift.body.contains("\"intendedCanaryWeight\":5"))
        #expect(drift.body.contains("\"observedCanaryWeight\":0"))
        await fixture.runner.runDueEffects()
        #expect(fixture.router.weights(of: "tf-model-service")?.canary == 5, "Coalmine's weights are back")
        let notice = try #require(fixture.notifier.delivered.last)
        #expect(notice.kind == .driftCorrected)
        #expect(notice.detail == "found stable/canary 100/0 in the cluster; restored 95/5")
        #expect(try await fixture.view().stateVersion == 1, "the rollout itself did not move")

        await watcher.checkOnce()
        let drifts = try await fixture.engine.history(of: "tf-model-service").filter { $0.kind == .driftDetected }
        #expect(drifts.count == 1, "nothing to correct once restored")
    }

    @Test func onlyTheNewestWeightChangeOfARolloutIsApplied() async throws {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        try await fixture.command(.promote)
        await fixture.runner.runDueEffects()
        #expect(fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 100))
        let results = try await fixture.engine.history(of: "tf-model-service").filter { $0.kind == .effectResult }
        #expect(results.filter { $0.body.contains("\"status\":\"superseded\"") }.count == 1)
    }

    @Test func aFailingNotifierIsRetriedLaterWithoutBlockingAnything() async throws {
        let fixture = try await EngineFixture()
        fixture.notifier.behave(.failTransiently)
        try await fixture.command(.start)
        await fixture.runner.runDueEffects()
        #expect(fixture.router.weights(of: "tf-model-service")?.canary == 5, "the router lane ran regardless")
        let pending = try await fixture.journal.pendingEffects()
        #expect(pending.count == 1)
        #expect(pending[0].attempts == 1)
        #expect(pending[0].nextAttemptAt > fixture.clock.now(), "the retry waits for its backoff")

        fixture.notifier.behave(.deliver)
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.delivered.isEmpty, "not before the backoff has passed")
        fixture.clock.advance(by: .seconds(2))
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.delivered.map(\.kind) == [.started])
    }

    @Test func aPermanentDeliveryFailureIsJournaledAndNotRetried() async throws {
        let fixture = try await EngineFixture()
        fixture.notifier.behave(.failPermanently)
        try await fixture.command(.start)
        await fixture.runner.runDueEffects()
        #expect(try await fixture.journal.pendingEffects().isEmpty)
        let results = try await fixture.engine.history(of: "tf-model-service").filter { $0.kind == .effectResult }
        #expect(results.contains { $0.body.contains("\"status\":\"failed\"") && $0.body.contains("invalid_payload") })
        fixture.clock.advance(by: .seconds(3600))
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.attempts == 1)
    }

    @Test func undeliveredNoticesAreDeliveredAfterARestart() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        _ = try await fixture.engine.receive([.tfAlert("CanaryErrorRatioHigh", role: .breaker)], source: "alertmanager")
        try await fixture.reopen()
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.delivered.map(\.kind) == [.started, .awaitingHuman])
    }

    @Test func refusedActionsChangeNothingAndSayWhy() async throws {
        let fixture = try await EngineFixture()
        let before = try await fixture.engine.history(of: "tf-model-service").count
        do {
            try await fixture.command(.promote)
            Issue.record("promote from idle was accepted")
        } catch EngineError.refused(let refusal) {
            #expect(refusal.description == "cannot promote a rollout that is idle; allowed now: start")
        }
        #expect(try await fixture.engine.history(of: "tf-model-service").count == before)
        await #expect(throws: EngineError.self) {
            try await fixture.engine.perform(HumanCommand(.start, actor: "a"), on: "no-such-rollout")
        }
    }

    /// A commit the database took whose answer was lost: the caller hears 503 and retries, and the weight change it
    /// created still runs, taken up from the outbox.
    @Test func effectsOfACommitWhoseAnswerWasLostStillRun() async throws {
        let fixture = try await EngineFixture()
        fixture.journal.loseCommitAnswers(true)
        await #expect(throws: EngineError.self) { _ = try await fixture.command(.start) }
        fixture.journal.loseCommitAnswers(false)
        #expect(try await fixture.view().state == .observing, "the start was written, and the state reloaded from it")
        let lane = try #require(fixture.engine.effectLanes[.router(rollout: "tf-model-service")])
        #expect(lane.items.map(\.effect) == [.setWeights(WeightSplit(run: 1, canary: 5))], "its weight change waits in its lane")
        await fixture.runner.runDueEffects()
        #expect(try await fixture.journal.pendingEffects().filter { $0.lane == .router(rollout: "tf-model-service") }.isEmpty)
    }
}
