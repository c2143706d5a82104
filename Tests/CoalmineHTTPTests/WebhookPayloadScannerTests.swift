import CoalmineCore
import Foundation
import NIOCore
import Testing

@testable import CoalmineHTTP

/// The scanner is a fast path for webhook bodies: where it gives a payload it must be the one `JSONDecoder` gives,
/// and where `JSONDecoder` refuses a body the scanner must decline it too, so the 400 still names the problem.
@Suite struct WebhookPayloadScannerTests {
    static let accepted: [String] = [
        #"{"version":"4","alerts":[]}"#,
        #"{"alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"2027-01-15T08:00:00Z"}]}"#,
        // Everything Alertmanager sends, with fields Coalmine skips: numbers, booleans, nulls, nested values.
        #"""
         { "receiver": "coalmine", "status": "firing", "truncatedAlerts": 0, "version": "4",
           "groupLabels": {"service": "tf"}, "commonAnnotations": {}, "externalURL": "http://am:9093/",
           "extra": [1, -2.5e+3, 0.25, 1E2, true, false, null, {"a": [[], {}]}, "x"],
           "alerts": [ { "status": "resolved", "labels": {"alertname": "B", "service": "tf"},
                         "annotations": {"summary": "p99 \"up\" 1.8x\nsee \/runbook é \u00e9 \ud83d\ude00"},
                         "startsAt": "2027-01-15T08:00:00.123456789Z", "endsAt": "2027-01-15T09:00:00Z",
                         "generatorURL": "http://prometheus:9090/graph?g0.expr=up", "fingerprint": "0123abcd" } ] }
        """#,
        #"{"alerts":[{"status":"firing","labels":{},"annotations":null,"startsAt":"x","endsAt":null,"fingerprint":null}]}"#,
        #"{"version":null,"alerts":[{"status":"firing","labels":{"k":"日本\t\\"},"startsAt":"s","fingerprint":""}]}"#,
    ]

    static let declined: [String] = [
        "",
        "[]",
        #"{"version":"4"}"#,
        #"{"alerts":[{"labels":{},"startsAt":"2027-01-15T08:00:00Z"}]}"#,
        #"{"alerts":[{"status":"firing","labels":{"n":1},"startsAt":"2027-01-15T08:00:00Z"}]}"#,
        #"{"alerts":[{"status":null,"labels":{},"startsAt":"2027-01-15T08:00:00Z"}]}"#,
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"2027-01-15T08:00:00Z"}]} trailing"#,
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"2027-01-15T08:00:00Z"}],}"#,
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"2027-01-15T08:00:00Z","x":01}]}"#,
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"bad \u12"}]}"#,
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"bad \ud83d"}]}"#,
        "{\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"raw \u{01} control\"}]}",
        #"{"alerts":[{"status":"firing","labels":{},"startsAt":"2027-01-15T08:00:00Z""#,
    ]

    @Test(arguments: accepted) func aBodyTheScannerReadsIsTheOneJSONDecoderReads(_ body: String) throws {
        let scanned = try #require(WebhookPayloadScanner.payload(from: Array(body.utf8)))
        #expect(scanned == (try JSONDecoder().decode(AlertWebhookPayload.self, from: Data(body.utf8))))
    }

    /// Declined bodies go to `JSONDecoder`, which refuses most of them with a 400 in its own words and accepts a
    /// few leniently (a trailing comma, a leading zero) as it always did.
    @Test(arguments: declined) func aBodyTheScannerDeclinesIsLeftToJSONDecoder(_ body: String) {
        #expect(WebhookPayloadScanner.payload(from: Array(body.utf8)) == nil)
        let decoded = try? JSONDecoder().decode(AlertWebhookPayload.self, from: Data(body.utf8))
        do {
            let observations = try AlertWebhookPayload.decode(ByteBuffer(string: body), expectedVersion: "4", sender: "Alertmanager")
            #expect(decoded?.alerts.map(\.startsAt) == observations.map(\.startsAt), "accepted as JSONDecoder accepts it")
        } catch {
            #expect(decoded == nil, "refused only when JSONDecoder refuses it")
            #expect(error.status == .badRequest)
            #expect(error.message.hasPrefix("malformed Alertmanager payload: "), "\(error.message)")
        }
    }

    @Test func invalidUTF8IsDeclined() {
        var body = Array(#"{"alerts":[{"status":"firing","labels":{"a":"#.utf8)
        body += [0xC3, 0x28]
        body += Array(#""},"startsAt":"s"}]}"#.utf8)
        #expect(WebhookPayloadScanner.payload(from: body) == nil)
    }

    @Test func aRepeatedFieldIsLeftToJSONDecoder() {
        let body = #"{"alerts":[{"status":"firing","status":"resolved","labels":{},"startsAt":"s"}]}"#
        #expect(WebhookPayloadScanner.payload(from: Array(body.utf8)) == nil)
    }

    /// A valid payload whose unknown top-level field holds `depth` nested arrays, so the body nests `depth + 1` deep.
    static func nested(_ depth: Int) -> [UInt8] {
        Array(
            (#"{"unknownField":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                + #","alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"2027-01-15T08:00:00Z"}]}"#).utf8)
    }

    /// 20,000 nested arrays overflowed the stack of the scanner's recursion and ended the server.
    @Test func deepNestingIsRefusedWithoutRecursingIntoIt() {
        let body = Self.nested(20_000)
        let outcome = body.withUnsafeBytes { WebhookPayloadScanner.scan($0) }
        #expect(outcome == .nestedTooDeep(offset: 16 + WebhookPayloadScanner.maximumDepth - 1))
        do {
            _ = try AlertWebhookPayload.decode(ByteBuffer(bytes: body), expectedVersion: "4", sender: "Alertmanager")
            Issue.record("a body nested 20,001 deep was accepted")
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.message.contains("nested deeper than 512 levels"), "\(error.message)")
        }
    }

    /// Around the limit the scanner refuses exactly what `JSONDecoder` refuses, so the limit turns nothing away
    /// that was accepted before.
    @Test(arguments: [509, 510, 511, 512, 513]) func theDepthLimitIsJSONDecoders(_ depth: Int) {
        let body = Self.nested(depth)
        let decoderAccepts = (try? JSONDecoder().decode(AlertWebhookPayload.self, from: Data(body))) != nil
        let outcome = body.withUnsafeBytes { WebhookPayloadScanner.scan($0) }
        if case .payload = outcome {
            #expect(decoderAccepts, "depth \(depth + 1): the scanner accepted what JSONDecoder refuses")
        } else {
            #expect(!decoderAccepts, "depth \(depth + 1): the scanner refused what JSONDecoder accepts: \(outcome)")
        }
    }
}
