import CoalmineCore
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct GrafanaWebhookTests {
    static func hexHMAC(_ message: [UInt8], secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test func grafanasContactPointPayloadIsTakenAndItsAbortRuleRollsBack() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let response = try await client.execute(
                uri: "/hooks/grafana", method: .post, headers: fixture.webhookAuth,
                body: try AppFixture.example("grafana-abort-firing.json"))
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["transitions"] as? Int == 1)
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            #expect(view.json["state"] as? String == "rolling-back")
            #expect(view.json["reason"] as? String == "abort")
        }
    }

    @Test func anAlertmanagerPayloadSentToTheGrafanaHookIsRefusedByVersion() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/hooks/grafana", method: .post, headers: fixture.webhookAuth, body: alertmanagerBody())
            #expect(response.status == .badRequest)
            #expect(response.json["error"] as? String == "unsupported Grafana payload version '4'; Coalmine reads version 1")
        }
    }

    @Test(arguments: [false, true])
    func theSignatureIsCheckedWhenASecretIsConfigured(withTimestamp: Bool) async throws {
        let fixture = try await AppFixture(webhookExtra: { directory in
            "    grafana: { signatureSecretFile: \"\(directory)/grafana-secret\""
                + (withTimestamp ? ", timestampHeader: X-Grafana-Alerting-Signature-Timestamp }" : " }")
        }, beforeStart: { directory in
            try "hunter2\n".write(toFile: "\(directory)/grafana-secret", atomically: true, encoding: .utf8)
        })
        let body = try AppFixture.example("grafana-abort-firing.json")
        let bytes = Array(body.readableBytesView)
        let timestamp = String(fixture.clock.now().millisecondsSinceEpoch / 1000)
        let signed = withTimestamp ? Array("\(timestamp):".utf8) + bytes : bytes
        try await fixture.test { client in
            var headers = fixture.webhookAuth
            let response = try await client.execute(uri: "/hooks/grafana", method: .post, headers: headers, body: body)
            #expect(response.status == .unauthorized, "an unsigned body is refused")
            headers[HTTPField.Name("X-Grafana-Alerting-Signature")!] = Self.hexHMAC(signed, secret: "wrong")
            if withTimestamp { headers[HTTPField.Name("X-Grafana-Alerting-Signature-Timestamp")!] = timestamp }
            let forged = try await client.execute(uri: "/hooks/grafana", method: .post, headers: headers, body: body)
            #expect(forged.status == .unauthorized)
            #expect(forged.json["error"] as? String == "missing or wrong X-Grafana-Alerting-Signature")
            headers[HTTPField.Name("X-Grafana-Alerting-Signature")!] = Self.hexHMAC(signed, secret: "hunter2")
            let good = try await client.execute(uri: "/hooks/grafana", method: .post, headers: headers, body: body)
            #expect(good.status == .ok, "\(good.text)")
        }
    }

    @Test func aSignedDeliveryReplayedLaterThanFiveMinutesIsRefused() async throws {
        let fixture = try await AppFixture(webhookExtra: { directory in
            "    grafana: { signatureSecretFile: \"\(directory)/grafana-secret\", timestampHeader: X-Grafana-Alerting-Timestamp }"
        }, beforeStart: { directory in
            try "hunter2\n".write(toFile: "\(directory)/grafana-secret", atomically: true, encoding: .utf8)
        })
        let body = try AppFixture.example("grafana-abort-firing.json")
        // Signed in 2020, as the hardening review found accepted.
        let old = "1600000000"
        var headers = fixture.webhookAuth
        headers[HTTPField.Name("X-Grafana-Alerting-Timestamp")!] = old
        headers[HTTPField.Name("X-Grafana-Alerting-Signature")!] = Self.hexHMAC(
            Array("\(old):".utf8) + Array(body.readableBytesView), secret: "hunter2")
        try await fixture.test { [headers] client in
            let replayed = try await client.execute(uri: "/hooks/grafana", method: .post, headers: headers, body: body)
            #expect(replayed.status == .unauthorized)
            #expect((replayed.json["error"] as? String)?.contains("more than 5 minutes from this server's time") == true)
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service/history", method: .get, headers: fixture.apiAuth)
            let kinds = (view.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(!kinds.contains("alert-received"))

            // Four minutes off either way is a clock's drift, not a replay.
            for offset in [-240, 240] {
                var fresh = headers
                let at = String(fixture.clock.now().millisecondsSinceEpoch / 1000 + Int64(offset))
                fresh[HTTPField.Name("X-Grafana-Alerting-Timestamp")!] = at
                fresh[HTTPField.Name("X-Grafana-Alerting-Signature")!] = Self.hexHMAC(
                    Array("\(at):".utf8) + Array(body.readableBytesView), secret: "hunter2")
                let response = try await client.execute(uri: "/hooks/grafana", method: .post, headers: fresh, body: body)
                #expect(response.status == .ok, "\(response.text)")
            }
        }
    }
}
