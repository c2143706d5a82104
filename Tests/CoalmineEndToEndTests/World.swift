import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The processes of the end-to-end test and how the test talks to them.
final class World: Sendable {
    let directory: String
    let coalminePort: Int
    let prometheusPort: Int
    let alertmanagerPort: Int
    let workloadPort: Int
    nonisolated(unsafe) private var processes: [ManagedProcess] = []  // touched only by the test task, before and after it awaits

    /// `rolloutExtra`: more keys of the rollout, each line indented by four spaces.
    init(directory: String, kubernetes: String, chat: String, rolloutExtra: String = "") throws {
        self.directory = directory
        coalminePort = try freePort()
        prometheusPort = try freePort()
        alertmanagerPort = try freePort()
        workloadPort = try freePort()
        try write("webhook-token", "e2e-webhook-token-\(UUID().uuidString)")
        try write("slack-url", "\(chat)/slack")
        try write("kubeconfig", Self.kubeconfig(server: kubernetes))
        try write(
            "coalmine.yaml",
            """
            server:
              listen: "127.0.0.1:\(coalminePort)"
              publicURL: "http://127.0.0.1:\(coalminePort)"
              webhook: { auth: { bearerTokenFile: "\(directory)/webhook-token" } }
              api: { tokenFile: "\(directory)/api-token" }
              actions: { signingKeyFile: "\(directory)/action-key" }
            store:
              sqlite: { path: "\(directory)/coalmine.db" }
            kubernetes: { mode: kubeconfig, kubeconfig: "\(directory)/kubeconfig", resyncEvery: 2s }
            notifiers:
              - { name: chat, type: slack, urlFile: "\(directory)/slack-url" }
              - { name: console, type: log }
            defaults:
              # The breaker (rate window 3s + for 4s + Alertmanager's 1s group_wait) trips well within a bake.
              steps: [5, 10, 50, 100]
              bake: 20s
              breaker: { errorRatio: 0.01, window: 4s }
            rollouts:
              - name: tf-model-service
                namespace: ml
                virtualService: tf-model-route
                stableSubset: v1
                canarySubset: v2
                alerts: { matchLabels: { service: tf-model-service } }
                metrics: { rateWindow: 3s, scrapeInterval: 1s }
            \(rolloutExtra)
            """)
        try write(
            "alertmanager.yml",
            """
            route:
              receiver: coalmine
              group_by: [coalmine_rollout, alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 3s
            receivers:
              - name: coalmine
                webhook_configs:
                  - url: http://127.0.0.1:\(coalminePort)/hooks/alertmanager
                    send_resolved: true
                    max_alerts: 0
                    http_config:
                      authorization: { credentials_file: "\(directory)/webhook-token" }
            """)
        try write(
            "e2e-rules.yaml",
            """
            groups:
              - name: e2e
                rules:
                  - alert: E2EGate
                    expr: max(e2e_gate_signal{service="tf-model-service"}) > 0
                    for: 1s
                    labels: { coalmine_rollout: tf-model-service, coalmine_role: gate }
            """)
        try write(
            "prometheus.yml",
            """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            rule_files: ["\(directory)/rules.yaml", "\(directory)/e2e-rules.yaml"]
            alerting:
              alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:\(alertmanagerPort)"] }] }]
            scrape_configs:
              - { job_name: workload, static_configs: [{ targets: ["127.0.0.1:\(workloadPort)"] }] }
              - { job_name: coalmine, static_configs: [{ targets: ["127.0.0.1:\(coalminePort)"] }] }
            """)
    }

    /// A kubeconfig for the API double at `server`, with the token it accepts.
    static func kubeconfig(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: e2e
        contexts: [{ name: e2e, context: { cluster: double, user: coalmine } }]
        clusters: [{ name: double, cluster: { server: "\(server)" } }]
        users: [{ name: coalmine, user: { token: test-token } }]
        """
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
    }

    var binary: String { "\(BreakerLoopTests.root)/.build/debug/coalmine" }

    func start() async throws {
        // The rules Prometheus evaluates are the ones `coalmine rules` prints for this config.
        let rules = try ManagedProcess("rules", binary, ["rules", "--config", "\(directory)/coalmine.yaml"], logDirectory: directory)
        while rules.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        try FileManager.default.copyItem(atPath: rules.logPath, toPath: "\(directory)/rules.yaml")
        processes.append(
            try ManagedProcess(
                "workload", "/usr/bin/env",
                ["python3", "\(BreakerLoopTests.root)/Tests/CoalmineEndToEndTests/workload.py", String(workloadPort)],
                logDirectory: directory))
        processes.append(
            try ManagedProcess("coalmine", binary, ["serve", "--config", "\(directory)/coalmine.yaml"], logDirectory: directory))
        processes.append(
            try ManagedProcess(
                "alertmanager", "/usr/bin/prometheus-alertmanager",
                ["--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/alertmanager",
                 "--web.listen-address=127.0.0.1:\(alertmanagerPort)", "--cluster.listen-address="],
                logDirectory: directory))
        processes.append(
            try ManagedProcess(
                "prometheus", "/usr/bin/prometheus",
                ["--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/prometheus",
                 "--web.listen-address=127.0.0.1:\(prometheusPort)"],
                logDirectory: directory))
        for (what, url) in [
            ("Coalmine", "http://127.0.0.1:\(coalminePort)/readyz"),
            ("Alertmanager", "http://127.0.0.1:\(alertmanagerPort)/-/ready"),
            ("Prometheus", "http://127.0.0.1:\(prometheusPort)/-/ready"),
            ("the workload", "http://127.0.0.1:\(workloadPort)/metrics"),
        ] {
            try await eventually("\(what) to answer") { try await self.request(.GET, url).status == 200 }
        }
    }

    /// Runs the built binary with `arguments` and the test config; returns its exit status and output.
    func cli(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try ManagedProcess(
            "cli-\(arguments[0])", binary, arguments + ["--config", "\(directory)/coalmine.yaml"], logDirectory: directory)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return (process.exitStatus, (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? "")
    }

    func stop() {
        for process in processes.reversed() { process.stop() }
    }

    var logs: String { processes.map(\.logTail).joined(separator: "\n") }

    struct Answer: Sendable {
        var status: UInt
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    func request(_ method: HTTPMethod, _ url: String, token: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: response.status.code, body: Data(body.readableBytesView))
    }

    @discardableResult
    func api(_ method: HTTPMethod, _ path: String) async throws -> Answer {
        let token = try String(contentsOfFile: "\(directory)/api-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let answer = try await request(method, "http://127.0.0.1:\(coalminePort)\(path)", token: token)
        struct Refused: Error, CustomStringConvertible { var description: String }
        guard answer.status == 200 else {
            throw Refused(description: "\(method) \(path): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        return answer
    }

    func rollout() async throws -> [String: Any] {
        try await api(.GET, "/api/v1/rollouts/tf-model-service").json
    }

    /// Sets the workload's canary error ratio or gate signal, e.g. `ratio=0.05`.
    func workload(_ setting: String) async throws {
        _ = try await request(.POST, "http://127.0.0.1:\(workloadPort)/control?\(setting)")
    }

    /// How many transitions into `state` the journal holds for `run`.
    func transitions(to state: String, run: Int) async throws -> Int {
        let entries = try await api(.GET, "/api/v1/rollouts/tf-model-service/history").json["entries"] as? [[String: Any]] ?? []
        return entries.filter { entry in
            let body = entry["body"] as? [String: Any]
            return entry["kind"] as? String == "transition" && entry["run"] as? Int == run
                && body?["to"] as? String == state && body?["from"] as? String != state
        }.count
    }

    /// Alertmanager deliveries Coalmine answered 200, from its own metrics.
    func webhookDeliveries() async throws -> Int {
        let text = String(decoding: try await request(.GET, "http://127.0.0.1:\(coalminePort)/metrics").body, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix(#"coalmine_webhook_requests_total{endpoint="alertmanager",code="200"}"#) }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}
