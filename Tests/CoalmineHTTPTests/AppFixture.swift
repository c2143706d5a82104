import CoalmineCore
import CoalmineEngine
import CoalmineHTTP
import CoalmineJournal
import CoalmineTestSupport
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import HTTPTypes

/// The real application over a temp workspace, with a manual clock and a journal that can be made to fail.
struct AppFixture {
    let workspace: TestWorkspace
    let clock = ManualClock()
    let journal: FaultyJournal
    let runtime: CoalmineRuntime
    let notifier = RecordingNotifier(name: "console")

    /// `webhookAuth` and `webhookExtra` get the workspace folder and return YAML; `beforeStart` may write files
    /// there (secrets the config names) before the runtime reads them.
    init(
        webhookAuth: ((String) -> String)? = nil, webhookExtra: ((String) -> String)? = nil,
        actions: ((String) -> String)? = nil, serverExtra: String = "", rolloutExtra: String = "",
        beforeStart: ((String) throws -> Void)? = nil
    ) async throws {
        workspace = try TestWorkspace()
        let directory = workspace.directory
        try beforeStart?(directory)
        let config = try workspace.config(
            rolloutExtra: rolloutExtra, webhookAuth: webhookAuth?(directory), webhookExtra: webhookExtra?(directory) ?? "",
            actions: actions?(directory), serverExtra: serverExtra)
        journal = FaultyJournal(try SQLiteJournal(path: workspace.journalPath))
        runtime = try await CoalmineRuntime.make(
            config: config, logger: Logger(label: "test"), store: journal, notifiers: [notifier], clock: clock.reading)
    }

    /// Behind a sign-in proxy: `X-Forwarded-Email` counts when `X-Coalmine-Proxy` carries `proxy-says-so`.
    static func behindSignInProxy() async throws -> AppFixture {
        try await AppFixture(
            actions: {
                "{ signingKeyFile: \"\($0)/action-key\", identityHeader: X-Forwarded-Email,"
                    + " trustedProxy: { secretHeader: X-Coalmine-Proxy, secretFile: \"\($0)/proxy-secret\" } }"
            },
            beforeStart: { try "proxy-says-so\n".write(toFile: "\($0)/proxy-secret", atomically: true, encoding: .utf8) })
    }

    /// Through the router, or (`live`) over a real socket on 127.0.0.1, for what happens to connections.
    func test<Value>(live: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(runtime, logger: Logger(label: "test"))
        return try await app.test(live ? .live : .router, body)
    }

    var webhookAuth: HTTPFields {
        [.authorization: "Bearer \(try! workspace.secret("webhook-token"))", .contentType: "application/json"]
    }

    var apiAuth: HTTPFields {
        [.authorization: "Bearer \(try! workspace.secret("api-token"))"]
    }

    /// Starts the example rollout through the operator API, as `coalmine start` does.
    func startRollout(_ client: some TestClientProtocol) async throws {
        let response = try await client.execute(
            uri: "/api/v1/rollouts/tf-model-service/start", method: .post, headers: apiAuth)
        #expect(response.status == .ok)
    }

    static func example(_ name: String) throws -> ByteBuffer {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return ByteBuffer(data: try Data(contentsOf: root.appendingPathComponent("config/examples/\(name)")))
    }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }
}

/// An Alertmanager payload with one alert; `alert` fields override the defaults.
func alertmanagerBody(
    status: String = "firing", labels: [String: String] = ["alertname": "CanaryLatencyHigh", "service": "tf-model-service"],
    startsAt: String = "2027-01-15T08:00:00.123456789Z", endsAt: String = "0001-01-01T00:00:00Z",
    fingerprint: String? = "f1", extra: [String: Any] = [:], version: String = "4"
) -> ByteBuffer {
    var alert: [String: Any] = [
        "status": status, "labels": labels, "annotations": ["summary": "p99 too high"], "startsAt": startsAt,
        "endsAt": endsAt, "generatorURL": "http://prometheus/graph",
    ]
    if let fingerprint { alert["fingerprint"] = fingerprint }
    var payload: [String: Any] = [
        "receiver": "coalmine", "status": status, "alerts": [alert], "groupLabels": [:], "commonLabels": labels,
        "commonAnnotations": [:], "externalURL": "http://alertmanager:9093", "version": version,
        "groupKey": "{}:{}", "truncatedAlerts": 0,
    ]
    for (key, value) in extra { payload[key] = value }
    return ByteBuffer(data: try! JSONSerialization.data(withJSONObject: payload))
}
