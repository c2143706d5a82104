import CoalmineCore
import CoalmineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct OperatorAPITests {
    @Test func startReturnsTheNewViewWithEveryDocumentedField() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            var headers = fixture.apiAuth
            headers[.contentType] = "application/json"
            let response = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/start", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"actor":"alice","canaryVersion":"2.13.0-gpu","stableVersion":"2.12.0"}"#))
            #expect(response.status == .ok)
            let view = response.json
            for field in [
                "name", "state", "run", "step", "canaryWeight", "stableWeight", "since", "nextStepAt", "firingAlerts",
                "canaryVersion", "stableVersion",
            ] {
                #expect(view[field] != nil, "missing \(field)")
            }
            #expect(view["state"] as? String == "observing")
            #expect(view["canaryWeight"] as? Int == 5)
            #expect(view["stableWeight"] as? Int == 95)
            #expect(view["canaryVersion"] as? String == "2.13.0-gpu")
            #expect(view["nextStepAt"] as? String == (fixture.clock.now() + .seconds(3600)).rfc3339)
        }
    }

    @Test func anActionNotAllowedNowIs409NamingTheStateAndTheAllowedActions() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/approve", method: .post, headers: fixture.apiAuth)
            #expect(response.status == .conflict)
            #expect(response.json["error"] as? String == "cannot approve a rollout that is idle; allowed now: start")
            #expect(response.json["state"] as? String == "idle")
            #expect(response.json["allowedActions"] as? [String] == ["start"])
        }
    }

    @Test func theClusterViewIsA404OnSQLiteSayingWhy() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            #expect(try await client.execute(uri: "/api/v1/cluster", method: .get).status == .unauthorized)
            let cluster = try await client.execute(uri: "/api/v1/cluster", method: .get, headers: fixture.apiAuth)
            #expect(cluster.status == .notFound)
            #expect(
                cluster.json["error"] as? String
                    == "no cluster: this Coalmine keeps its journal in SQLite and runs alone (store.postgres lets replicas share one)")
        }
    }

    @Test func unknownRolloutsAndActionsAre404() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let rollout = try await client.execute(uri: "/api/v1/rollouts/ranker", method: .get, headers: fixture.apiAuth)
            #expect(rollout.status == .notFound)
            #expect(rollout.json["error"] as? String == "no rollout is named 'ranker'; configured: tf-model-service")
            let action = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/explode", method: .post, headers: fixture.apiAuth)
            #expect(action.status == .notFound)
            #expect(
                action.json["error"] as? String
                    == "unknown action 'explode'; one of: start, pause, resume, approve, promote, rollback")
        }
    }

    @Test func everyAPICallNeedsTheToken() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let webhookToken: HTTPFields = [.authorization: "Bearer \(try fixture.workspace.secret("webhook-token"))"]
            for (uri, method) in [
                ("/api/v1/rollouts", HTTPRequest.Method.get), ("/api/v1/rollouts/tf-model-service", .get),
                ("/api/v1/rollouts/tf-model-service/history", .get), ("/api/v1/rollouts/tf-model-service/start", .post),
            ] {
                let anonymous = try await client.execute(uri: uri, method: method)
                #expect(anonymous.status == .unauthorized, "\(uri)")
                let wrongToken = try await client.execute(uri: uri, method: method, headers: webhookToken)
                #expect(wrongToken.status == .unauthorized, "the webhook token is not an API token: \(uri)")
            }
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            #expect(view.json["state"] as? String == "idle", "nothing was started by the refused calls")
        }
    }

    @Test func aMalformedActionBodyIs400() async throws {
        let fixture = try await AppFixture()
        var headers = fixture.apiAuth
        headers[.contentType] = "application/json"
        let json = headers
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/start", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor": 42}"#))
            #expect(response.status == .badRequest)
            #expect((response.json["error"] as? String)?.contains("optional string fields actor") == true)
        }
    }

    @Test func anActionBodyOver64KiBIs413AndChangesNothing() async throws {
        let fixture = try await AppFixture()
        var json = fixture.apiAuth
        json[.contentType] = "application/json"
        try await fixture.test { [json] client in
            let reason = String(repeating: "x", count: 65 * 1024)
            let response = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/start", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor": "alice", "reason": "\#(reason)"}"#))
            #expect(response.status == .contentTooLarge)
            #expect((response.json["error"] as? String)?.contains("exceeds 65536 bytes") == true)
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            #expect(view.json["state"] as? String == "idle")
        }
    }

    @Test func historyListsTheJournalOldestFirstWithActorsAndHashes() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            var headers = fixture.apiAuth
            headers[.contentType] = "application/json"
            let json = headers
            try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/start", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor":"alice"}"#))
            try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/rollback", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor":"bob","reason":"CUDA mismatch"}"#))
            // The router lane applies the rollback at once and its read-back completes it.
            try await waitUntil { try await fixture.runtime.engine.view(of: "tf-model-service").state == .rolledBack }
            let response = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let entries = try #require(response.json["entries"] as? [[String: Any]])
            let sequences = entries.compactMap { $0["sequence"] as? Int }
            #expect(sequences == sequences.sorted())
            let actions = entries.filter { $0["kind"] as? String == "human-action" }.compactMap { $0["body"] as? [String: Any] }
            #expect(actions.map { $0["actor"] as? String } == ["alice", "bob"])
            #expect(actions.last?["reason"] as? String == "CUDA mismatch")
            let transitions = entries.filter { $0["kind"] as? String == "transition" }.compactMap { $0["body"] as? [String: Any] }
            #expect(transitions.map { $0["to"] as? String } == ["observing", "rolling-back", "rolled-back"])
            #expect(transitions.last?["actor"] as? String == "router", "completed by the read-back, not by bob")
            #expect(entries.allSatisfy { ($0["hash"] as? String)?.count == 64 })
        }
    }

    @Test func historyComesInPagesFromTheNewestBack() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            try await client.execute(uri: "/api/v1/rollouts/tf-model-service/pause", method: .post, headers: fixture.apiAuth)
            // The lanes settle the effects as they run: wait until the journal holds still.
            try await waitUntil { try await fixture.journal.pendingEffects().isEmpty }
            let all = try await client.execute(uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let everything = try #require(all.json["entries"] as? [[String: Any]]).compactMap { $0["sequence"] as? Int }
            #expect(everything.count > 4)
            #expect(all.json["next"] is NSNull, "the default page of 200 holds it all")

            var walked: [Int] = []
            var uri = "/api/v1/rollouts/tf-model-service/history?limit=3"
            while true {
                let page = try await client.execute(uri: uri, method: .get, headers: fixture.apiAuth)
                #expect(page.status == .ok)
                walked = try #require(page.json["entries"] as? [[String: Any]]).compactMap { $0["sequence"] as? Int } + walked
                guard let next = page.json["next"] as? Int else { break }
                uri = "/api/v1/rollouts/tf-model-service/history?limit=3&before=\(next)"
            }
            #expect(walked == everything)

            for (query, message) in [
                ("limit=0", "limit must be a whole number from 1 to 1000, found '0'"),
                ("limit=1001", "limit must be a whole number from 1 to 1000, found '1001'"),
                ("before=latest", "before must be a journal sequence (a whole number above 0, the 'next' of a page), found 'latest'"),
            ] {
                let refused = try await client.execute(
                    uri: "/api/v1/rollouts/tf-model-service/history?\(query)", method: .get, headers: fixture.apiAuth)
                #expect(refused.status == .badRequest)
                #expect(refused.json["error"] as? String == message)
            }
        }
    }

    @Test func aFiringAlertIsListedWithItsTimesAndCanBeClearedWithAReason() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody(fingerprint: "f1"))
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            let alert = try #require((view.json["firingAlerts"] as? [[String: Any]])?.first)
            #expect(alert["fingerprint"] as? String == "f1")
            #expect(alert["startsAt"] as? String == "2027-01-15T08:00:00.123456789Z")
            #expect(alert["receivedAt"] as? String == fixture.clock.now().rfc3339)
            #expect(alert["lastSeenAt"] as? String == fixture.clock.now().rfc3339)

            var json = fixture.apiAuth
            json[.contentType] = "application/json"
            let clear = "/api/v1/rollouts/tf-model-service/alerts/f1/clear"
            let withoutReason = try await client.execute(
                uri: clear, method: .post, headers: json, body: ByteBuffer(string: #"{"actor":"alice"}"#))
            #expect(withoutReason.status == .badRequest)
            #expect((withoutReason.json["error"] as? String)?.hasPrefix("reason is required") == true)
            let notFiring = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/alerts/f2/clear", method: .post, headers: json,
                body: ByteBuffer(string: #"{"actor":"alice","reason":"lost"}"#))
            #expect(notFiring.status == .conflict)
            #expect(notFiring.json["error"] as? String == "no alert with fingerprint f2 fires for rollout tf-model-service; firing now: f1")
            #expect(try await fixture.runtime.engine.view(of: "tf-model-service").state == .paused, "refusals change nothing")

            let cleared = try await client.execute(
                uri: clear, method: .post, headers: json, body: ByteBuffer(string: #"{"actor":"alice","reason":"lost"}"#))
            #expect(cleared.status == .ok)
            #expect(cleared.json["state"] as? String == "observing")
            #expect((cleared.json["firingAlerts"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            try await fixture.startRollout(client)
            try await client.execute(uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            try await client.execute(uri: "/hooks/alertmanager", method: .post, body: alertmanagerBody())
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"coalmine_rollout_state{rollout="tf-model-service",state="paused"} 1"#))
            #expect(metrics.contains(#"coalmine_rollout_state{rollout="tf-model-service",state="observing"} 0"#))
            #expect(metrics.contains(#"coalmine_canary_weight{rollout="tf-model-service"} 5"#))
            #expect(metrics.contains("coalmine_transitions_total 2"))
            #expect(metrics.contains(#"coalmine_webhook_requests_total{endpoint="alertmanager",code="200"} 1"#))
            #expect(metrics.contains(#"coalmine_webhook_requests_total{endpoint="alertmanager",code="401"} 1"#))
        }
    }
}
