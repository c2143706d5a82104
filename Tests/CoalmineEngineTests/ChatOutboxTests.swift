import AsyncHTTPClient
import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineTestSupport
import Logging
import Testing

/// The outbox delivering to a chat API that misbehaves, over real HTTP to a capture server.
@Suite struct ChatOutboxTests {
    func withSlack(
        _ body: @Sendable (EngineFixture, EffectRunner, ChatCaptureServer) async throws -> Void
    ) async throws {
        let fixture = try await EngineFixture()
        let capture = ChatCaptureServer()
        try await capture.run { base in
            try await HTTPClient.withHTTPClient { client in
                let slack = ChatNotifier(
                    name: "console", url: "\(base)/slack", format: SlackFormat(), poster: ChatPoster(client: client))
                try await body(fixture, fixture.runner(notifiers: [slack]), capture)
            }
        }
    }

    func titles(_ capture: ChatCaptureServer) -> [String] {
        capture.captured("slack").compactMap { $0.json["text"] as? String }
    }

    @Test func aRateLimitedNoticeWaitsAsAskedAndTheOnesBehindItKeepTheirOrder() async throws {
        try await withSlack { fixture, runner, capture in
            capture.script("slack", [.init(status: 429, body: "rate_limited", headers: ["Retry-After": "30"])])
            try await fixture.command(.start)
            try await fixture.command(.pause)
            await runner.runDueEffects()
            #expect(titles(capture).count == 1, "nothing overtakes the notice that waits")
            let waiting = try #require(try await fixture.journal.pendingEffects().first { $0.lane == .notifier("console") })
            #expect(waiting.nextAttemptAt >= fixture.clock.now() + .seconds(30), "not sooner than Retry-After")

            fixture.clock.advance(by: .seconds(29))
            await runner.runDueEffects()
            #expect(titles(capture).count == 1)
            fixture.clock.advance(by: .seconds(8))
            await runner.runDueEffects()
            #expect(
                titles(capture) == [
                    "tf-model-service: canary run 1 started", "tf-model-service: canary run 1 started",
                    "tf-model-service: paused by alice",
                ])
        }
    }

    @Test func aRejectedNoticeIsJournaledAsFailedAndTheNextOneStillGoes() async throws {
        try await withSlack { fixture, runner, capture in
            capture.script("slack", [.init(status: 404, body: "no_service")])
            try await fixture.command(.start)
            try await fixture.command(.pause)
            await runner.runDueEffects()
            #expect(titles(capture) == ["tf-model-service: canary run 1 started", "tf-model-service: paused by alice"])
            let failed = try await fixture.engine.history(of: "tf-model-service").filter {
                $0.kind == .effectResult && $0.body.contains("\"status\":\"failed\"")
            }
            #expect(failed.count == 1)
            #expect(failed.first?.body.contains("404 Not Found: no_service") == true)
        }
    }
}
