import CoalmineCore
import CoalmineEngine
import CoalmineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import CoalmineHTTP

/// The dashboard through the real application: who may see it, how a session is begun and ended, and that its
/// actions need the form's CSRF token and are journaled with the reader as the actor.
@Suite struct DashboardTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func encode(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&"))
    }

    /// Signs in with the API token; returns the `Cookie` header value of the session.
    static func signIn(_ client: some TestClientProtocol, _ fixture: AppFixture, name: String = "Alice") async throws -> String {
        let response = try await client.execute(
            uri: "/login", method: .post, headers: form,
            body: encode(["name": name, "token": try fixture.workspace.secret("api-token")]))
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/")
        let setCookie = try #require(response.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly"))
        #expect(setCookie.contains("SameSite=Strict"))
        #expect(setCookie.contains("Max-Age=43200"), "a session expires (12 h)")
        return String(try #require(setCookie.split(separator: ";").first))
    }

    static func csrf(in page: TestResponse) -> String? {
        page.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/).map { String($0.1) }
    }

    @Test func withoutSigningInEveryPageIsTheLoginAndNoRolloutIsNamed() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            for path in ["/", "/rollouts/tf-model-service", "/rollouts/tf-model-service/confirm/rollback", "/rollouts/guess"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/login")
                #expect(!response.text.contains("tf-model-service"))
            }
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.status == .ok)
            #expect(!login.text.contains("tf-model-service"))
            #expect(login.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            let events = try await client.execute(uri: "/api/v1/events", method: .get)
            #expect(events.status == .unauthorized)
            // An action without a session changes nothing.
            let action = try await client.execute(
                uri: "/rollouts/tf-model-service/actions/rollback", method: .post, headers: Self.form,
                body: Self.encode(["reason": "x", "csrf": "0"]))
            #expect(action.status == .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
                .json["state"] as? String == "observing")
        }
    }

    @Test func aWrongTokenOrNoNameBeginsNoSessionAndSaysWhy() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let wrong = try await client.execute(
                uri: "/login", method: .post, headers: Self.form, body: Self.encode(["name": "Mallory", "token": "guess"]))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("That is not the API token"))
            #expect(wrong.headers[.setCookie] == nil)
            let nameless = try await client.execute(
                uri: "/login", method: .post, headers: Self.form,
                body: Self.encode(["name": " ", "token": try fixture.workspace.secret("api-token")]))
            #expect(nameless.status == .badRequest)
            #expect(nameless.headers[.setCookie] == nil)
            // A forged or altered cookie is no session.
            let cookie = try await Self.signIn(client, fixture)
            let altered = cookie.dropLast(2) + (cookie.hasSuffix("00") ? "11" : "00")
            let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: String(altered)])
            #expect(page.status == .seeOther)
        }
    }

    @Test func theOverviewShowsEveryRolloutWithItsStateWeightsAlertsAndActions() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: alertmanagerBody(labels: ["alertname": "<img src=x onerror=alert(1)>", "service": "tf-model-service"]))
            let cookie = try await Self.signIn(client, fixture)
            let overview = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
            #expect(overview.status == .ok)
            #expect(overview.text.contains(#"<span class="badge paused">paused (alert)</span>"#))
            #expect(overview.text.contains("stable 95 % · canary 5 %"))
            #expect(overview.text.contains("&lt;img src=x onerror=alert(1)&gt;"), "alert text escaped")
            #expect(!overview.text.contains("<img src=x"))
            #expect(overview.text.contains(#"href="/rollouts/tf-model-service/confirm/rollback""#))
            #expect(overview.text.contains("dashboard:Alice"), "who is signed in")
            #expect(overview.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)

            let page = try await client.execute(uri: "/rollouts/tf-model-service", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg"), "the weight chart")
            #expect(page.text.contains("mark alert firing gate"))
            #expect(page.text.contains("alert-received"), "the journal's entries")
            let unknown = try await client.execute(uri: "/rollouts/guess", method: .get, headers: [.cookie: cookie])
            #expect(unknown.status == .notFound)
        }
    }

    @Test func earlierRunsAreChosenByNumberWithTheirOwnChartAndJournal() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            var json = fixture.apiAuth
            json[.contentType] = "application/json"
            let rollback = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/rollback", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor":"carol","reason":"first try failed"}"#))
            #expect(rollback.status == .ok)
            // The router lane applies the rollback and its read-back completes it.
            try await waitUntil { try await fixture.runtime.engine.view(of: "tf-model-service").state == .rolledBack }
            fixture.clock.advance(by: .seconds(60))
            try await fixture.startRollout(client)
            let cookie = try await Self.signIn(client, fixture)
            let current = try await client.execute(uri: "/rollouts/tf-model-service", method: .get, headers: [.cookie: cookie])
            #expect(current.text.contains("Canary weight, run 2"))
            #expect(current.text.contains(#"<a href="/rollouts/tf-model-service?run=1">1</a>"#))
            #expect(!current.text.contains("first try failed"), "run 1's decision is not in run 2's journal")
            let first = try await client.execute(uri: "/rollouts/tf-model-service?run=1", method: .get, headers: [.cookie: cookie])
            #expect(first.text.contains("Canary weight, run 1"))
            #expect(first.text.contains("first try failed"))
            #expect(first.text.contains("rollback by carol: first try failed"), "the chart's decision mark")
        }
    }

    @Test func anActionNeedsTheFormsCSRFTokenAndIsJournaledWithTheReader() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let cookie = try await Self.signIn(client, fixture, name: "Alice Example")
            let confirm = try await client.execute(
                uri: "/rollouts/tf-model-service/confirm/rollback", method: .get, headers: [.cookie: cookie])
            #expect(confirm.text.contains("Send all traffic back to the stable version"))
            let token = try #require(Self.csrf(in: confirm))
            var headers = Self.form
            headers[.cookie] = cookie

            let forged = try await client.execute(
                uri: "/rollouts/tf-model-service/actions/rollback", method: .post, headers: headers,
                body: Self.encode(["reason": "no token"]))
            #expect(forged.status == .forbidden)
            #expect(forged.text.contains("CSRF token is missing or wrong"))
            let otherSession = try await Self.signIn(client, fixture, name: "Mallory")
            var mallory = Self.form
            mallory[.cookie] = otherSession
            let borrowed = try await client.execute(
                uri: "/rollouts/tf-model-service/actions/rollback", method: .post, headers: mallory,
                body: Self.encode(["reason": "another session's token", "csrf": token]))
            #expect(borrowed.status == .forbidden, "a token belongs to its session")
            #expect(try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
                .json["state"] as? String == "observing", "nothing changed")

            let done = try await client.execute(
                uri: "/rollouts/tf-model-service/actions/rollback", method: .post, headers: headers,
                body: Self.encode(["reason": "5xx on v2", "csrf": token]))
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/rollouts/tf-model-service")
            let history = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let decision = (history.json["entries"] as? [[String: Any]] ?? []).last { $0["kind"] as? String == "human-action" }
            let body = decision?["body"] as? [String: Any]
            #expect(body?["actor"] as? String == "dashboard:Alice Example")
            #expect(body?["action"] as? String == "rollback")
            #expect(body?["reason"] as? String == "5xx on v2")

            // Signing out ends the session in the browser.
            let signOut = try await client.execute(
                uri: "/logout", method: .post, headers: headers, body: Self.encode(["csrf": token]))
            #expect(signOut.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test func theSignInProxysIdentityNeedsNoSessionAndIsTheActor() async throws {
        let fixture = try await AppFixture.behindSignInProxy()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let proxied: HTTPFields = [
                HTTPField.Name("X-Forwarded-Email")!: "bob@example.com", HTTPField.Name("X-Coalmine-Proxy")!: "proxy-says-so",
            ]
            let page = try await client.execute(uri: "/rollouts/tf-model-service/confirm/pause", method: .get, headers: proxied)
            #expect(page.status == .ok)
            let token = try #require(Self.csrf(in: page))
            var headers = proxied
            headers[.contentType] = "application/x-www-form-urlencoded"
            let done = try await client.execute(
                uri: "/rollouts/tf-model-service/actions/pause", method: .post, headers: headers,
                body: Self.encode(["reason": "looking at the GPU graphs", "csrf": token]))
            #expect(done.status == .seeOther)
            let history = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let decision = (history.json["entries"] as? [[String: Any]] ?? []).last { $0["kind"] as? String == "human-action" }
            #expect((decision?["body"] as? [String: Any])?["actor"] as? String == "bob@example.com")
            // The identity header without the proxy's secret is anyone's claim.
            let spoofed = try await client.execute(
                uri: "/", method: .get, headers: [HTTPField.Name("X-Forwarded-Email")!: "bob@example.com"])
            #expect(spoofed.status == .seeOther)
        }
    }

    @Test func everyCommitTellsTheLiveViewWhichRolloutsItTouched() async throws {
        let fixture = try await AppFixture()
        let changes = fixture.runtime.engine.changes.subscribe()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            var iterator = changes.makeAsyncIterator()
            #expect(await iterator.next() == "tf-model-service")
        }
    }

    @Test func anEventStreamSendsEachChangedRolloutOnceHoweverOftenItChangedMeanwhile() async {
        let backlog = ChangedRollouts()
        for _ in 0..<1000 { backlog.add("tf-model-service") }
        backlog.add("ranker")
        #expect(await backlog.next(orAfter: .seconds(5)) == ["tf-model-service", "ranker"])
        #expect(await backlog.next(orAfter: .milliseconds(50)) == [], "nothing new: a keep-alive")
        backlog.end()
        #expect(await backlog.next(orAfter: .seconds(5)) == nil)
    }

    @Test func sessionsExpireAndAreBoundToTheirKey() throws {
        let signer = ActionSigner(currentKey: "key-one")
        let sessions = DashboardSessions(signer: signer, lifetime: .seconds(60), secure: true)
        let start = Timestamp(secondsSinceEpoch: 1_000)
        let (setCookie, session) = sessions.start(actor: "dashboard:Alice", now: start)
        #expect(setCookie.hasSuffix("; Secure"), "https dashboards get Secure cookies")
        let cookie: HTTPFields = [.cookie: "other=1; " + String(setCookie.split(separator: ";")[0])]
        #expect(sessions.session(in: cookie, now: start + .seconds(59)) == session)
        #expect(sessions.session(in: cookie, now: start + .seconds(60)) == nil, "expired")
        let rotated = DashboardSessions(signer: ActionSigner(currentKey: "key-two"), lifetime: .seconds(60), secure: true)
        #expect(rotated.session(in: cookie, now: start) == nil, "a new signing key ends old sessions")
    }
}
