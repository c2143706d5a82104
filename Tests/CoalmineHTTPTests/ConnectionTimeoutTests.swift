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

    @Test func idleHalfSentAndStalledConnectionsAreClosedWhileWebhooksAreServed() async throws {
        let fixture = try await AppFixture(serverExtra: "  idleTimeout: 1s\n  headTimeout: 1s\n  bodyTimeout: 2s")
        let token = try fixture.workspace.secret("webhook-token")
        try await fixture.test(live: true) { client in
            let port = try #require(client.port)
            // What each kind of stalled client sends, and the least time the server must give it.
            let stalled: [(bytes: String, atLeast: Duration)] = [
                ("", .seconds(1)),  // connects and says nothing: idle
                ("POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty", .seconds(1)),  // a head that never ends
                (
                    "POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"receiver\":",
                    .seconds(2)
                ),  // a body that never comes, on a request the handler waits for
            ]
            let opened = ContinuousClock.now
            var channels: [(channel: any Channel, atLeast: Duration)] = []
            for index in 0..<64 {
                let kind = stalled[index % stalled.count]
                channels.append((try await slowClient(port: port, sending: kind.bytes), kind.atLeast))
            }

            // All 64 are held, and a webhook still goes through at once.
            try await fixture.startRollout(client)
            let answer = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            #expect(answer.status == .ok)
            #expect(channels.allSatisfy { $0.channel.isActive }, "nothing is closed before its deadline")

            for (channel, atLeast) in channels {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await channel.closeFuture.get() }
                    group.addTask {
                        try await Task.sleep(for: .seconds(10))
                        throw ActionLinkTests.TimeoutError(what: "the server closing a stalled connection")
                    }
                    try await group.next()
                    group.cancelAll()
                }
                #expect(ContinuousClock.now - opened >= atLeast, "closed no earlier than its deadline")
            }
        }
    }
}
