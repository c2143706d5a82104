import AsyncHTTPClient
import CoalmineTestSupport
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// Unauthenticated clients cannot hold connections open by sending nothing, or a request a few bytes at a time,
/// and while they try, webhooks are answered.
@Suite struct ConnectionTimeoutTests {
    /// Opens a connection and writes `bytes` (maybe nothing) to it, keeping it open.
    private func slowClient(port: Int, sending bytes: String) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(string: bytes)) }
        return channel
    }

    /// Returns once the server has closed `channel`; throws if it has not within `limit`.
    private func closed(_ channel: any Channel, within limit: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await channel.closeFuture.get() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ActionLinkTests.TimeoutError(what: "the server closing a stalled connection")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    @Test func idleHalfSentAndStalledConnectionsAreClosedWhileWebhooksAreServed() async throws {
        let fixture = try await AppFixture(serverExtra: "  idleTimeout: 3s\n  headTimeout: 3s\n  bodyTimeout: 5s")
        let token = try fixture.workspace.secret("webhook-token")
        try await fixture.test(live: true) { client in
            let port = try #require(client.port)
            // What each kind of stalled client sends, and the least time the server must give it.
            let stalled: [(bytes: String, atLeast: Duration)] = [
                ("", .seconds(3)),  // connects and says nothing: idle
                ("POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty", .seconds(3)),  // a head that never ends
                (
                    "POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"receiver\":",
                    .seconds(5)
                ),  // a body that never comes, on a request the handler waits for
            ]
            var channels: [(channel: any Channel, opened: ContinuousClock.Instant, atLeast: Duration)] = []
            for index in 0..<64 {
                let kind = stalled[index % stalled.count]
                let opened = ContinuousClock.now
                channels.append((try await slowClient(port: port, sending: kind.bytes), opened, kind.atLeast))
            }

            // With all 64 held, a webhook still goes through. On connections of its own: the test client's one
            // connection may have sat idle past the 3 s deadline while the 64 were opened, and been closed for it.
            var start = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/rollouts/tf-model-service/start")
            start.method = .POST
            start.headers.add(name: "Authorization", value: "Bearer \(try fixture.workspace.secret("api-token"))")
            #expect(try await HTTPClient.shared.execute(start, timeout: .seconds(10)).status == .ok)
            var webhook = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/alertmanager")
            webhook.method = .POST
            webhook.headers.add(name: "Authorization", value: "Bearer \(token)")
            webhook.headers.add(name: "Content-Type", value: "application/json")
            webhook.body = .bytes(alertmanagerBody())
            #expect(try await HTTPClient.shared.execute(webhook, timeout: .seconds(10)).status == .ok)

            for (channel, opened, atLeast) in channels {
                try await closed(channel, within: .seconds(30))
                // The close was seen after it happened, so this bounds it from below: never before its deadline.
                #expect(ContinuousClock.now - opened >= atLeast, "closed no earlier than its deadline")
            }
        }
    }

    /// Hummingbird closes such a connection at once today; the deadlines must not keep it open if it ever does not.
    @Test func aConnectionAnsweredBeforeItsBodyEndedDoesNotStayOpen() async throws {
        let fixture = try await AppFixture(serverExtra: "  idleTimeout: 2s")
        try await fixture.test(live: true) { client in
            let port = try #require(client.port)
            // No credentials: refused 401 as soon as the head is read, while the body is still on its way.
            let channel = try await slowClient(
                port: port,
                sending: "POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 20\r\n\r\n{\"rec")
            try await Task.sleep(for: .milliseconds(300))
            try await channel.writeAndFlush(ByteBuffer(string: "eiver\": \"coalmine\"}"))
            try await closed(channel, within: .seconds(20))
        }
    }
}
