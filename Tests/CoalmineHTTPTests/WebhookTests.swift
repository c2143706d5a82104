import CoalmineCore
import CoalmineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct WebhookTests {
    @Test func theSampleBreakerAlertPutsARunningRolloutInFrontOfAHuman() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: try AppFixture.example("breaker-firing.json"))
            #expect(response.status == .ok)
            #expect(response.json["received"] as? Int == 1)
            #expect(response.json["matched"] as? Int == 1)
            #expect(response.json["transitions"] as? Int == 1)
            #expect(response.headers[.contentType] == "application/json")
            #expect(String(buffer: response.body) == #"{"matched":1,"received":1,"transitions":1}"#)
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            #expect(view.json["state"] as? String == "awaiting-human")
            #expect(view.json["reason"] as? String == "breaker")
        }
    }

    /// One 40 KB body used to end the process: the scanner recursed into 20,000 nested arrays of a field it skips.
    @Test func aBodyNestedTwentyThousandDeepIsA400AndTheServerGoesOn() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let hostile = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: ByteBuffer(bytes: WebhookPayloadScannerTests.nested(20_000)))
            #expect(hostile.status == .badRequest)
            #expect(hostile.text.contains("nested deeper than 512 levels"), "\(hostile.text)")
            let next = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            #expect(next.status == .ok, "the next delivery is taken as usual")
            #expect(next.json["transitions"] as? Int == 1)
        }
    }

    @Test func aDuplicateDeliveryProducesNoSecondTransition() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            for expected in [1, 0, 0] {
                let response = try await client.execute(
                    uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
                #expect(response.json["transitions"] as? Int == expected)
            }
            let history = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let entries = history.json["entries"] as? [[String: Any]] ?? []
            #expect(entries.filter { $0["kind"] as? String == "alert-received" }.count == 1)
            #expect(entries.filter { $0["kind"] as? String == "transition" }.count == 2, "start, then paused; no more")
        }
    }

    @Test(arguments: [
        "2024-01-01T10:00:00Z", "2024-01-01T10:00:00+08:00", "2024-03-05T14:22:19.123456789Z", "2024-03-05T14:22:36.927Z",
        "2024-03-05T14:22:36.9-03:00",
    ])
    func everyGoTimestampFormIsAccepted(startsAt: String) async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: alertmanagerBody(startsAt: startsAt, endsAt: startsAt))
            #expect(response.status == .ok, "\(response.text)")
        }
    }

    @Test func newerFieldsAndMissingOptionalFieldsAreFine() async throws {
        let fixture = try await AppFixture()
        let body = ByteBuffer(
            string: """
                {"version":"4","status":"firing","receiver":"coalmine","notification_reason":"new alert",
                 "routeLabels":{"team":"ml"},"alerts":[{"status":"firing","labels":{"alertname":"X",
                 "service":"tf-model-service"},"startsAt":"2027-01-01T00:00:00Z","future":{"nested":[1,2]}}]}
                """)
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: body)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["matched"] as? Int == 1)
        }
    }

    @Test(arguments: [
        ("{\"alerts\": [", "malformed Alertmanager payload: not valid JSON"),
        ("{\"version\":\"4\"}", "malformed Alertmanager payload: missing field alerts"),
        ("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{}}]}",
         "malformed Alertmanager payload: missing field alerts[0].startsAt"),
        ("{\"version\":\"3\",\"alerts\":[]}", "unsupported Alertmanager payload version '3'; Coalmine reads version 4"),
        ("{\"version\":\"4\",\"alerts\":[{\"status\":\"burning\",\"labels\":{},\"startsAt\":\"2027-01-01T00:00:00Z\"}]}",
         "alerts[0].status: expected firing or resolved, found 'burning'"),
        ("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"yesterday\"}]}",
         "alerts[0].startsAt: not an RFC 3339 time: 'yesterday'"),
        ("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":1},\"startsAt\":\"2027-01-01T00:00:00Z\"}]}",
         "malformed Alertmanager payload: alerts[0].labels.a: expected String"),
    ])
    func malformedPayloadsAre400WithTheReason(body: String, message: String) async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            #expect(response.json["error"] as? String == message)
        }
    }

    @Test func missingOrWrongCredentialsAre401() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            for authorization in [nil, "Bearer wrong", "Basic YW06cGFzcw==", "Bearer"] {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let authorization { headers[.authorization] = authorization }
                let response = try await client.execute(
                    uri: "/hooks/alertmanager", method: .post, headers: headers, body: alertmanagerBody())
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] != nil)
                #expect(response.json["error"] as? String == "missing or wrong credentials for /hooks/alertmanager")
            }
        }
    }

    @Test func basicAuthIsAcceptedWhenConfigured() async throws {
        let fixture = try await AppFixture(webhookAuth: { "{ basic: { username: am, passwordFile: \"\($0)/am-password\" } }" })
        let password = try fixture.workspace.secret("am-password")
        try await fixture.test { client in
            for (credentials, status) in [("am:\(password)", HTTPResponse.Status.ok), ("am:wrong", .unauthorized)] {
                let headers: HTTPFields = [
                    .authorization: "Basic " + Data(credentials.utf8).base64EncodedString(),
                    .contentType: "application/json",
                ]
                let response = try await client.execute(
                    uri: "/hooks/alertmanager", method: .post, headers: headers, body: alertmanagerBody())
                #expect(response.status == status)
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let padding = String(repeating: "x", count: 70_000)
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth,
                body: alertmanagerBody(extra: ["padding": padding]))
            #expect(response.status == .contentTooLarge)
            #expect(response.json["error"] as? String == "body exceeds server.webhook.maxBodyBytes (65536 bytes)")
        }
    }

    @Test func aBodyThatIsNotJSONIs415() async throws {
        let fixture = try await AppFixture()
        var plainText = fixture.webhookAuth
        plainText[.contentType] = "text/plain"
        let headers = plainText
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: headers, body: alertmanagerBody())
            #expect(response.status == .unsupportedMediaType)
            #expect(response.json["error"] as? String == "expected Content-Type application/json, got 'text/plain'")
        }
    }

    @Test func aJournalThatCannotCommitIs503AndTheRetryIsTaken() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            fixture.journal.failCommits(true)
            let failed = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            #expect(failed.status == .serviceUnavailable)
            #expect((failed.json["error"] as? String)?.contains("the journal cannot commit") == true)
            let notReady = try await client.execute(uri: "/readyz", method: .get)
            #expect(notReady.status == .serviceUnavailable, "reads still work, but a replica that cannot commit is not ready")
            #expect((notReady.json["error"] as? String)?.contains("the journal cannot commit: disk I/O error") == true)
            fixture.journal.failCommits(false)
            // As Alertmanager retries: while the engine reloads its state after the failed commit it still answers
            // 503, and then takes the delivery.
            var retried = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            for _ in 0..<100 where retried.status == .serviceUnavailable {
                try await Task.sleep(for: .milliseconds(10))
                retried = try await client.execute(
                    uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            }
            #expect(retried.status == .ok)
            #expect(retried.json["transitions"] as? Int == 1, "Alertmanager's retry is acted on, nothing was lost")
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
        }
    }
}
