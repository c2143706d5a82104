import AsyncHTTPClient
import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineTestSupport
import Foundation
import Testing

/// Real HTTP to a capture server on 127.0.0.1 that answers as each provider does.
@Suite struct ChatDeliveryTests {
    func withNotifier(
        _ endpoint: String, format: any ChatFormat, timeout: Duration = .seconds(10),
        _ body: @Sendable (ChatNotifier, ChatCaptureServer) async throws -> Void
    ) async throws {
        let capture = ChatCaptureServer()
        try await capture.run { base in
            try await HTTPClient.withHTTPClient { client in
                let poster = ChatPoster(client: client, timeout: timeout)
                let notifier = ChatNotifier(name: endpoint, url: "\(base)/\(endpoint)", format: format, poster: poster)
                try await body(notifier, capture)
            }
        }
    }

    func failure(of notifier: ChatNotifier) async -> DeliveryFailure? {
        do {
            try await notifier.deliver(sampleMessage())
            return nil
        } catch {
            return error as? DeliveryFailure
        }
    }

    @Test func aDeliveredMessageArrivesAsJSON() async throws {
        try await withNotifier("slack", format: SlackFormat()) { notifier, capture in
            try await notifier.deliver(sampleMessage())
            let received = try #require(capture.captured("slack").first)
            #expect(received.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(received.json["unfurl_links"] as? Bool == false)
        }
    }

    @Test(arguments: [
        ("feishu", #"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#, "Feishu code 19021"),
        ("dingtalk", #"{"errcode":310000,"errmsg":"sign not match"}"#, "DingTalk errcode 310000"),
        ("wecom", #"{"errcode":93000,"errmsg":"invalid webhook url"}"#, "WeCom errcode 93000"),
        ("slack", "invalid_blocks", "Slack answered invalid_blocks"),
    ])
    func errorsReportedInA200BodyArePermanentFailures(endpoint: String, answer: String, message: String) async throws {
        let formats: [String: any ChatFormat] = [
            "feishu": FeishuFormat(secret: "s", secondsSinceEpoch: { 0 }),
            "dingtalk": DingTalkFormat(secret: "s", millisecondsSinceEpoch: { 0 }), "wecom": WeComFormat(),
            "slack": SlackFormat(),
        ]
        try await withNotifier(endpoint, format: formats[endpoint]!) { notifier, capture in
            capture.script(endpoint, [.init(status: 200, body: answer)])
            let failure = try #require(await failure(of: notifier))
            #expect(failure.isPermanent)
            #expect(failure.description.hasPrefix(message))
        }
    }

    @Test func tooManyRequestsIsRetriedAfterWhatSlackAsks() async throws {
        try await withNotifier("slack", format: SlackFormat()) { notifier, capture in
            capture.script("slack", [.init(status: 429, body: "rate_limited", headers: ["Retry-After": "7"])])
            let failure = try #require(await failure(of: notifier))
            #expect(!failure.isPermanent)
            #expect(failure.retryAfter == .seconds(7))
        }
    }

    @Test func discordsRetryAfterInTheBodyIsHonoured() async throws {
        try await withNotifier("discord", format: DiscordFormat()) { notifier, capture in
            capture.script("discord", [.init(status: 429, body: #"{"message":"You are being rate limited.","retry_after":1.5,"global":false}"#)])
            let failure = try #require(await failure(of: notifier))
            #expect(!failure.isPermanent)
            #expect(failure.retryAfter == .milliseconds(1500))
        }
    }

    @Test func serverErrorsAndTimeoutsAreTransientOtherClientErrorsPermanent() async throws {
        try await withNotifier("teams", format: TeamsFormat(), timeout: .seconds(1)) { notifier, capture in
            capture.script(
                "teams",
                [
                    .init(status: 502, body: "bad gateway"), .init(status: 202, delay: .seconds(3)),
                    .init(status: 400, body: "Bad payload"),
                ])
            let serverError = try #require(await failure(of: notifier))
            #expect(!serverError.isPermanent)
            let timeout = try #require(await failure(of: notifier))
            #expect(!timeout.isPermanent)
            let badRequest = try #require(await failure(of: notifier))
            #expect(badRequest.isPermanent)
            #expect(badRequest.description == "400 Bad Request: Bad payload")
            #expect(await failure(of: notifier) == nil, "the provider's normal answer is a success")
        }
    }

    @Test func anAnswerWhoseBodyNeverEndsIsCutOffAtTheDeadline() async throws {
        try await withNotifier("slack", format: SlackFormat(), timeout: .milliseconds(500)) { notifier, capture in
            capture.script("slack", [.stalled])
            let started = ContinuousClock.now
            let stalled = try #require(await failure(of: notifier))
            #expect(!stalled.isPermanent, "tried again later")
            #expect(stalled.description.contains("no complete answer within 500ms"))
            // The body never comes: any bound shows the deadline ended the wait. Ten seconds leaves room for a
            // test run whose first seconds saturate both cores, which once stretched this past three.
            #expect(started.duration(to: .now) < .seconds(10), "the headers came at once; the body's wait counts too")
        }
    }

    @Test func errorsNameTheHostButNeverTheSecretWebhookPath() async throws {
        try await withNotifier("teams", format: TeamsFormat(), timeout: .milliseconds(200)) { notifier, capture in
            capture.script("teams", [.init(status: 202, delay: .seconds(1))])
            let failure = try #require(await failure(of: notifier))
            #expect(failure.description.contains("127.0.0.1"))
            #expect(!failure.description.contains("/teams"))
        }
    }

    @Test func slackMessagesAreSpacedAtLeastASecondApart() async throws {
        try await withNotifier("slack", format: SlackFormat()) { notifier, capture in
            // Measured where the pacing happens: the third send cannot start before two intervals have passed.
            let start = ContinuousClock.now
            for _ in 0..<3 { try await notifier.deliver(sampleMessage()) }
            #expect(start.duration(to: .now) >= .seconds(2))
            #expect(capture.captured("slack").count == 3)
        }
    }
}

extension DeliveryFailure: Equatable {
    public static func == (lhs: DeliveryFailure, rhs: DeliveryFailure) -> Bool {
        lhs.isPermanent == rhs.isPermanent && lhs.retryAfter == rhs.retryAfter && lhs.description == rhs.description
    }
}
