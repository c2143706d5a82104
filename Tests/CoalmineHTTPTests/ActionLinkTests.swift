import CoalmineCore
import CoalmineEngine
import CoalmineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ActionLinkTests {
    /// The path of a link, which the in-process test client takes instead of the public URL.
    func path(_ url: String) -> String {
        String(url.dropFirst("http://127.0.0.1:9095".count))
    }

    /// Waits for the running app's effect runner to deliver a notice of `kind`.
    func message(_ kind: RolloutNotice.Kind, from fixture: AppFixture, after count: Int = 0) async throws -> NoticeMessage {
        for _ in 0..<200 {
            if let found = fixture.notifier.messages.dropFirst(count).first(where: { $0.notice.kind == kind }) { return found }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TimeoutError(what: "a \(kind.rawValue) notice")
    }

    struct TimeoutError: Error {
        var what: String
    }

    func state(_ client: some TestClientProtocol, _ fixture: AppFixture) async throws -> String {
        let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
        return view.json["state"] as? String ?? "?"
    }

    func humanActions(_ client: some TestClientProtocol, _ fixture: AppFixture) async throws -> [[String: Any]] {
        let history = try await client.execute(
            uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
        return (history.json["entries"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "human-action" }
            .compactMap { $0["body"] as? [String: Any] }
    }

    /// Starts the rollout, trips the breaker, and returns the page with its links.
    func trippedBreaker(_ client: some TestClientProtocol, _ fixture: AppFixture) async throws -> NoticeMessage {
        try await fixture.startRollout(client)
        try await client.execute(
            uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
            body: try AppFixture.example("breaker-firing.json"))
        return try await message(.awaitingHuman, from: fixture)
    }

    @Test func theBreakerPageLinksGETChangesNothingAndPOSTRollsBackExactlyOnce() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            #expect(page.links.map(\.action) == [.rollback, .resume])
            #expect(page.statusURL == "http://127.0.0.1:9095/rollouts/tf-model-service")
            let rollback = path(page.links[0].url)

            for _ in 0..<2 {
                let preview = try await client.execute(uri: rollback, method: .get)
                #expect(preview.status == .ok)
                #expect(preview.text.contains("<form method=\"post\">"))
                #expect(preview.text.contains("canary 5 % → 0 %"))
            }
            #expect(try await state(client, fixture) == "awaiting-human", "a GET, as a chat preview makes, acts on nothing")

            // A double click: two POSTs at once. One acts; the other is told the link was used.
            async let first = client.execute(uri: rollback, method: .post)
            async let second = client.execute(uri: rollback, method: .post)
            let statuses = try await [first.status.code, second.status.code].sorted()
            #expect(statuses == [200, 409])
            let actions = try await humanActions(client, fixture)
            #expect(actions.count == 2, "start, and one rollback")
            #expect(actions.last?["action"] as? String == "rollback")
            #expect(actions.last?["actor"] as? String == "link:console")

            let reused = try await client.execute(uri: rollback, method: .post)
            #expect(reused.status == .conflict)
            #expect(reused.text.contains("link:console used it to rollback tf-model-service"))

            let resume = try await client.execute(uri: path(page.links[1].url), method: .post)
            #expect(resume.status == .conflict)
            #expect(resume.text.contains("The rollout moved on"))

            let done = try await message(.rolledBack, from: fixture)
            #expect(done.links.isEmpty, "nothing to decide once rolled back")
        }
    }

    @Test func forgedTamperedAndUnknownKeyLinksAre403AndChangeNothing() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            let token = String(page.links[0].url.split(separator: "/").last!)
            let parts = token.split(separator: ".").map(String.init)
            let otherSigner = ActionSigner(currentKey: "not-our-key")
            var claims = try fixture.runtime.links.signer.verify(token, at: fixture.clock.now())
            claims.rollout = "ranker"
            let otherRollout = otherSigner.sign(claims).split(separator: ".")[1]
            let forgeries = [
                parts[0] + "." + parts[1] + "." + String(parts[2].reversed()),  // wrong signature
                parts[0] + "." + otherRollout + "." + parts[2],  // claims changed to another rollout
                otherSigner.sign(claims),  // a key Coalmine does not have
                "not-a-token",
            ]
            for forged in forgeries {
                for method in [HTTPRequest.Method.get, .post] {
                    let response = try await client.execute(uri: "/actions/\(forged)", method: method)
                    #expect(response.status == .forbidden)
                    #expect(response.text.contains("not a valid Coalmine link"))
                }
            }
            #expect(try await state(client, fixture) == "awaiting-human")
        }
    }

    @Test func anExpiredLinkIs410() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            fixture.clock.advance(by: .seconds(12 * 3600))
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.execute(uri: path(page.links[0].url), method: method)
                #expect(response.status == .gone)
                #expect(response.text.contains("This link expired"))
            }
            #expect(try await state(client, fixture) == "awaiting-human")
        }
    }

    @Test func aSignedExpiryBeyondTheLinkTTLIsNotHonoured() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            let signer = fixture.runtime.links.signer
            var claims = try signer.verify(String(page.links[0].url.split(separator: "/").last!), at: fixture.clock.now())
            let issuedAt = try #require(claims.issuedAt)
            claims.expiresAt = Timestamp(rfc3339: "9999-12-31T00:00:00Z")!

            // With its issue time: it lasts linkTTL (12 h) from it, not until year 9999.
            claims.nonce = "far-future-with-issue-time"
            let capped = path("http://127.0.0.1:9095/actions/\(signer.sign(claims))")
            #expect(try signer.verify(String(capped.split(separator: "/").last!), at: fixture.clock.now()).expiresAt
                == issuedAt + .seconds(12 * 3600))
            // Without one (a link from before issue times): refused outright, as no link is issued in the future.
            claims.issuedAt = nil
            claims.nonce = "far-future-without-issue-time"
            let unbounded = try await client.execute(uri: "/actions/\(signer.sign(claims))", method: .post)
            #expect(unbounded.status == .forbidden)

            fixture.clock.advance(by: .seconds(12 * 3600))
            let late = try await client.execute(uri: capped, method: .post)
            #expect(late.status == .gone)
            #expect(try await state(client, fixture) == "awaiting-human")
        }
    }

    @Test func aLinkFromAnEarlierRunIsStaleInTheNextRun() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            try await client.execute(uri: "/api/v1/rollouts/tf-model-service/rollback", method: .post, headers: fixture.apiAuth)
            try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: try AppFixture.example("breaker-resolved.json"))
            _ = try await message(.rolledBack, from: fixture)
            try await fixture.startRollout(client)
            let response = try await client.execute(uri: path(page.links[0].url), method: .post)
            #expect(response.status == .conflict)
            #expect(response.text.contains("moved on"))
            #expect(try await state(client, fixture) == "observing")
        }
    }

    @Test func linksSignedWithAPreviousKeyStillWorkAfterRotation() async throws {
        let fixture = try await AppFixture(
            actions: { "{ signingKeyFile: \"\($0)/key-2026-12\", previousKeyFiles: [\"\($0)/key-2026-11\"] }" },
            beforeStart: { directory in
                try "november-key\n".write(toFile: "\(directory)/key-2026-11", atomically: true, encoding: .utf8)
                try "december-key\n".write(toFile: "\(directory)/key-2026-12", atomically: true, encoding: .utf8)
            })
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            var claims = try fixture.runtime.links.signer.verify(
                String(page.links[0].url.split(separator: "/").last!), at: fixture.clock.now())
            claims.nonce = "issued-before-rotation"
            let oldLink = ActionSigner(currentKey: "november-key").sign(claims)
            let response = try await client.execute(uri: "/actions/\(oldLink)", method: .post)
            #expect(response.status == .ok)
            #expect(try await state(client, fixture) != "awaiting-human")
        }
    }

    @Test func anIdentityCountsOnlyWithTheProxysSecretAndTheJournalNamesThePerson() async throws {
        let fixture = try await AppFixture.behindSignInProxy()
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            let rollback = path(page.links[0].url)
            let decisionsBefore = try await humanActions(client, fixture).count
            let email = HTTPField.Name("X-Forwarded-Email")!
            let proxy = HTTPField.Name("X-Coalmine-Proxy")!

            // Straight to Coalmine, naming someone else: refused, and nothing is journaled.
            let spoofed = try await client.execute(uri: rollback, method: .post, headers: [email: "ceo@example.com"])
            #expect(spoofed.status == .unauthorized)
            #expect(spoofed.text.contains("did not come through the sign-in proxy"))
            let wrongSecret = try await client.execute(
                uri: rollback, method: .post, headers: [email: "ceo@example.com", proxy: "guessed"])
            #expect(wrongSecret.status == .unauthorized)
            // Through the proxy, not signed in.
            let anonymous = try await client.execute(uri: rollback, method: .post, headers: [proxy: "proxy-says-so"])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.text.contains("Sign in first"))
            #expect(try await state(client, fixture) == "awaiting-human")
            #expect(try await humanActions(client, fixture).count == decisionsBefore)

            let signedIn = try await client.execute(
                uri: rollback, method: .post, headers: [email: "alice@example.com", proxy: "proxy-says-so"])
            #expect(signedIn.status == .ok)
            #expect(try await humanActions(client, fixture).last?["actor"] as? String == "alice@example.com")
        }
    }

    @Test func withProxyAddressesARequestFromElsewhereIsNotBelieved() async throws {
        // The router tests have no peer address, as a request from an unknown place: never one of the proxies.
        let fixture = try await AppFixture(actions: {
            "{ signingKeyFile: \"\($0)/action-key\", identityHeader: X-Forwarded-Email, trustedProxy: { cidrs: [127.0.0.0/8] } }"
        })
        try await fixture.test { client in
            let page = try await trippedBreaker(client, fixture)
            let decisionsBefore = try await humanActions(client, fixture).count
            let response = try await client.execute(
                uri: path(page.links[0].url), method: .post, headers: [HTTPField.Name("X-Forwarded-Email")!: "ceo@example.com"])
            #expect(response.status == .unauthorized)
            #expect(try await state(client, fixture) == "awaiting-human")
            #expect(try await humanActions(client, fixture).count == decisionsBefore)
        }
    }
}
