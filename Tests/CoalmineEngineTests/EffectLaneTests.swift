import AsyncHTTPClient
import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import CoalmineTestSupport
import GRDB
import Logging
import MetricsTestKit
import Testing

/// The lanes of the outbox: independent of each other, honest about what they could not do, and never acting twice
/// because the journal could not write something down.
@Suite struct EffectLaneTests {
    static let twoNotifiers = "  - { name: slack, type: log }\n  - { name: hook, type: log }"

    @Test(.timeLimit(.minutes(1))) func aLaneThatBacksOffForTenMinutesDelaysNoOtherLane() async throws {
        let fixture = try await EngineFixture(notifiers: Self.twoNotifiers)
        let capture = ChatCaptureServer()
        try await capture.run { base in
            try await HTTPClient.withHTTPClient { client in
                let slack = ChatNotifier(
                    name: "slack", url: "\(base)/slack", format: SlackFormat(), poster: ChatPoster(client: client))
                let hook = ChatNotifier(
                    name: "hook", url: "\(base)/hook", format: WebhookFormat(secret: nil), poster: ChatPoster(client: client))
                capture.script("slack", [.init(status: 429, body: "rate_limited", headers: ["Retry-After": "600"])])
                let runner = fixture.runner(notifiers: [slack, hook])
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await runner.run() }
                    try await fixture.command(.start)
                    try await waitUntil { capture.captured("hook").count == 1 && capture.captured("slack").count == 1 }
                    // Slack asked for ten minutes; everything else goes on meanwhile.
                    try await fixture.command(.pause)
                    try await fixture.command(.resume)
                    try await waitUntil { capture.captured("hook").count == 3 }
                    #expect(fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 5))
                    let waiting = try #require(try await fixture.journal.pendingEffects().first { $0.lane == .notifier("slack") })
                    #expect(waiting.nextAttemptAt >= fixture.clock.now() + .seconds(600), "not sooner than Retry-After")
                    #expect(capture.captured("slack").count == 1, "the slack lane waits, in order, behind its first notice")
                    #expect(try await fixture.journal.pendingEffects().filter { $0.lane == .notifier("slack") }.count == 3)
                    group.cancelAll()
                }
            }
        }
    }

    /// Thousands of rollouts mostly wait for nothing: a lane holds a task only while it has work, and work that
    /// comes later still runs.
    @Test(.timeLimit(.minutes(1))) func aLaneHoldsATaskOnlyWhileItHasWork() async throws {
        let fixture = try await EngineFixture()
        let runner = fixture.runner()
        let lanes = fixture.engine.effectLanes.queues.values
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await runner.run() }
            try await fixture.command(.start)
            try await waitUntil { fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 5) }
            try await waitUntil { lanes.allSatisfy { !$0.isBusy && !$0.hasRunner } }
            try await fixture.command(.rollback)
            try await waitUntil { fixture.router.weights(of: "tf-model-service") == WeightSplit(run: 1, canary: 0) }
            try await waitUntil { lanes.allSatisfy { !$0.isBusy && !$0.hasRunner } }
            group.cancelAll()
        }
    }

    @Test func aJournalThatCannotCommitIsNoReasonToActTwice() async throws {
        let fixture = try await EngineFixture()
        let router = FlakyRouter()
        let runner = fixture.runner(router: router)
        try await fixture.command(.start)
        fixture.journal.failCommits(true)
        await runner.runDueEffects()
        #expect(fixture.notifier.attempts == 1)
        #expect(router.applyCount == 1)
        #expect(fixture.engine.journalHealth.commitFailure?.contains("disk I/O error") == true, "/readyz says why")

        // However often the lanes look again, and however much time passes, nothing is sent or applied twice.
        for _ in 0..<5 {
            fixture.clock.advance(by: .seconds(120))
            await runner.runDueEffects()
        }
        #expect(fixture.notifier.attempts == 1)
        #expect(router.applyCount == 1)

        fixture.journal.failCommits(false)
        fixture.clock.advance(by: .seconds(120))
        await runner.runDueEffects()
        #expect(fixture.engine.journalHealth.commitFailure == nil)
        #expect(try await fixture.journal.pendingEffects().isEmpty, "the held results were journaled")
        let results = try await fixture.engine.history(of: "tf-model-service").filter { $0.kind == .effectResult }
        #expect(results.count == 2, "one result for the notice, one for the weights")
        #expect(fixture.notifier.attempts == 1)
        #expect(router.applyCount == 1)
        #expect(try await fixture.view().canaryWeight == 5)
    }

    @Test func effectsOfARemovedRolloutOrNotifierAreJournaledAsFailedOnceAndCounted() async throws {
        var fixture = try await EngineFixture(notifiers: Self.twoNotifiers)
        try await fixture.command(.start)
        #expect(try await fixture.journal.pendingEffects().count == 3)

        // Restarted with the hook notifier gone.
        var withoutHook = fixture.config
        withoutHook.notifiers.removeAll { $0.name == "hook" }
        withoutHook.rollouts[0].notify = ["slack"]
        let metrics = TestMetrics()
        try await fixture.reopen(config: withoutHook, metricsFactory: metrics)
        let failed = try await fixture.engine.history(of: "tf-model-service").filter {
            $0.kind == .effectResult && $0.body.contains("\"status\":\"failed\"")
        }
        #expect(failed.count == 1)
        #expect(failed.first?.body.contains("notifier hook is no longer configured") == true)
        #expect(try metrics.expectCounter("coalmine_effect_failures_total", [("kind", "notifier")]).totalValue == 1)
        #expect(try await fixture.journal.pendingEffects().map(\.lane) == [.router(rollout: "tf-model-service"), .notifier("slack")])

        // Restarted again with the rollout itself gone: its effects fail once, and never again.
        var withoutRollout = withoutHook
        withoutRollout.rollouts[0].name = "another-service"
        let later = TestMetrics()
        try await fixture.reopen(config: withoutRollout, metricsFactory: later)
        #expect(try await fixture.journal.pendingEffects().isEmpty)
        let gone = try await fixture.journal.inner.history(of: "tf-model-service").filter {
            $0.kind == .effectResult && $0.body.contains("rollout tf-model-service is no longer configured")
        }
        #expect(gone.count == 2)
        #expect(try later.expectCounter("coalmine_effect_failures_total", [("kind", "router")]).totalValue == 1)
        #expect(try later.expectCounter("coalmine_effect_failures_total", [("kind", "notifier")]).totalValue == 1)
        let entries = try await fixture.journal.inner.history(of: "tf-model-service").count
        try await fixture.reopen(config: withoutRollout)
        #expect(try await fixture.journal.inner.history(of: "tf-model-service").count == entries, "never retried")
    }

    @Test func aNoticeIsGivenUpAfterItsNotifiersLimitAndSaysWhy() async throws {
        let fixture = try await EngineFixture(notifiers: "  - { name: console, type: log, giveUpAfter: 1h }")
        fixture.notifier.behave(.failTransiently)
        try await fixture.command(.start)
        await fixture.runner.runDueEffects()
        #expect(try await fixture.journal.pendingEffects().count == 1, "a transient failure is retried")
        fixture.clock.advance(by: .seconds(3601))
        await fixture.runner.runDueEffects()
        #expect(try await fixture.journal.pendingEffects().isEmpty)
        let failed = try #require(
            try await fixture.engine.history(of: "tf-model-service").last { $0.kind == .effectResult })
        #expect(failed.body.contains("\"status\":\"failed\""))
        #expect(failed.body.contains("not delivered within 1h; last error: Outage()"))
        fixture.clock.advance(by: .seconds(3600))
        await fixture.runner.runDueEffects()
        #expect(fixture.notifier.attempts == 2, "no attempt after giving up")
    }

    @Test func settledOutboxRowsArePrunedAfterTheirRetentionAndTheJournalKeepsTheirRecord() async throws {
        let fixture = try await EngineFixture(notifiers: "  - { name: console, type: log }\n  - { name: hook, type: log }")
        let hook = RecordingNotifier(name: "hook")
        hook.behave(.failTransiently)
        try await fixture.command(.start)
        await fixture.runner(notifiers: [fixture.notifier, hook]).runDueEffects()
        let entries = try await fixture.engine.history(of: "tf-model-service").count
        let pruner = fixture.pruner

        fixture.clock.advance(by: .seconds(6 * 24 * 3600))
        #expect(await pruner.pruneOnce().outboxRows == 0, "younger than the retention")
        fixture.clock.advance(by: .seconds(2 * 24 * 3600))
        #expect(await pruner.pruneOnce().outboxRows == 2, "the applied weights and the delivered notice")
        #expect(try await fixture.journal.pendingEffects().map(\.lane) == [.notifier("hook")], "pending rows stay")
        let rows = try await DatabaseQueue(path: fixture.workspace.journalPath).read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM outbox")
        }
        #expect(rows == 1)
        #expect(try await fixture.engine.history(of: "tf-model-service").count == entries, "the journal is never pruned")
    }
}
