import AsyncHTTPClient
import CoalmineCore
import CoalmineTestSupport
import Foundation
import NIOCore
import NIOHTTP1

/// Several `coalmine serve` processes sharing one PostgreSQL database of the scratch cluster, with the Kubernetes
/// API double and the chat capture server: what the replica tests start, kill, pause and query.
final class ReplicaWorld: Sendable {
    let directory: String
    let ports: [Int]
    let rollouts: [String]
    let lease: String
    // Touched only by the test task, between its awaits.
    nonisolated(unsafe) private var processes: [Int: ManagedProcess] = [:]
    nonisolated(unsafe) private var restarts: [Int: Int] = [:]

    static let binary = "\(BreakerLoopTests.root)/.build/debug/coalmine"

    /// `replicas` processes (not yet started); `rollouts` each with a VirtualService `<name>-route` in namespace
    /// `ml` (put into `double` here).
    init(
        directory: String, replicas: Int, rollouts: [String], bake: String = "1h", lease: String = "3s",
        actions: String? = nil, kubernetes: String, chat: String, database: PostgresStoreSettings,
        double: KubernetesAPIDouble
    ) throws {
        self.directory = directory
        self.rollouts = rollouts
        self.lease = lease
        ports = try (0..<replicas).map { _ in try freePort() }
        // One set of secrets for every replica, as one mounted Secret gives them: replicas never make them up.
        for name in ["webhook-token", "api-token", "action-key", "audit-key"] {
            try write(name, "replica-\(name)-\(UUID().uuidString)")
        }
        try write("hook-url", "\(chat)/notices")
        try write("kubeconfig", World.kubeconfig(server: kubernetes))
        let rolloutYAML = rollouts.map { name in
            """
              - name: \(name)
                namespace: ml
                virtualService: \(name)-route
                stableSubset: v1
                canarySubset: v2
                alerts:
                  matchLabels: { service: \(name) }
                  roles: [{ match: { alertname: Abort }, role: abort }]
            """
        }.joined(separator: "\n")
        for (index, port) in ports.enumerated() {
            try write(
                "r\(index).yaml",
                """
                server:
                  listen: "127.0.0.1:\(port)"
                  publicURL: "http://127.0.0.1:\(port)"
                  replicaId: r\(index)
                  advertiseURL: "http://127.0.0.1:\(port)"
                  leaderLease: \(lease)
                  webhook: { auth: { bearerTokenFile: "\(directory)/webhook-token" } }
                  api: { tokenFile: "\(directory)/api-token" }
                  actions: { signingKeyFile: "\(directory)/action-key"\(actions.map { ", \($0)" } ?? "") }
                store:
                  postgres:
                    url: "postgres://\(database.user)@\(database.host):\(database.port)/\(database.database)?sslmode=disable"
                    passwordFile: "\(database.passwordFile ?? "")"
                  audit: { keyFile: "\(directory)/audit-key", anchorEvery: 1s }
                kubernetes: { mode: kubeconfig, kubeconfig: "\(directory)/kubeconfig", resyncEvery: 2s }
                notifiers:
                  - { name: hook, type: webhook, urlFile: "\(directory)/hook-url" }
                defaults:
                  steps: [5, 10, 50, 100]
                  bake: \(bake)
                rollouts:
                \(rolloutYAML)
                """)
        }
        for name in rollouts {
            try double.put(
                "virtualservices", namespace: "ml", name: "\(name)-route",
                json: """
                    {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                     "metadata": {"name": "\(name)-route", "namespace": "ml"},
                     "spec": {"hosts": ["\(name)"], "http": [{"route": [
                       {"destination": {"host": "\(name)", "subset": "v1"}, "weight": 100},
                       {"destination": {"host": "\(name)", "subset": "v2"}, "weight": 0}]}]}}
                    """)
        }
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
    }

    func url(_ replica: Int) -> String { "http://127.0.0.1:\(ports[replica])" }

    /// Starts replica `index` (again) and waits until it answers `/readyz`.
    func start(_ index: Int) async throws {
        let run = restarts[index, default: 0]
        restarts[index] = run + 1
        processes[index] = try ManagedProcess(
            "r\(index)-\(run)", Self.binary, ["serve", "--config", "\(directory)/r\(index).yaml"], logDirectory: directory)
        try await eventually("replica r\(index) to answer") { try await self.request(.GET, "\(self.url(index))/readyz").status == 200 }
    }

    func send(_ signal: Int32, to index: Int) {
        processes[index]?.send(signal)
    }

    func isRunning(_ index: Int) -> Bool { processes[index]?.isRunning ?? false }

    func stop() {
        for process in processes.values {
            process.send(SIGCONT)
            process.stop()
        }
    }

    var logs: String { processes.keys.sorted().compactMap { processes[$0]?.logTail }.joined(separator: "\n") }

    var apiToken: String {
        get throws {
            try String(contentsOfFile: "\(directory)/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    var webhookToken: String {
        get throws {
            try String(contentsOfFile: "\(directory)/webhook-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func request(
        _ method: HTTPMethod, _ url: String, token: String? = nil, json: Data? = nil, headers: [String: String] = [:]
    ) async throws -> World.Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 16 << 20)
        return World.Answer(status: response.status.code, body: Data(body.readableBytesView))
    }

    /// An API call to replica `index`; throws unless it answers 200.
    func api(_ method: HTTPMethod, _ path: String, via index: Int, json: [String: String]? = nil) async throws -> World.Answer {
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = try await request(method, "\(url(index))\(path)", token: try apiToken, json: body)
        guard answer.status == 200 else {
            throw Refused(description: "\(method) \(path) via r\(index): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        return answer
    }

    struct Refused: Error, CustomStringConvertible { var description: String }

    /// Which replica leads, asked of replica `index`.
    func leader(asking index: Int) async throws -> Int? {
        let cluster = try await api(.GET, "/api/v1/cluster", via: index).json
        guard let id = cluster["leader"] as? String, id.hasPrefix("r") else { return nil }
        return Int(id.dropFirst())
    }

    /// Every journal entry of `rollout`, oldest first, read page by page through replica `index`.
    func history(of rollout: String, via index: Int) async throws -> [[String: Any]] {
        var pages: [[[String: Any]]] = []
        var before: Int64?
        repeat {
            let query = "limit=1000" + (before.map { "&before=\($0)" } ?? "")
            let page = try await api(.GET, "/api/v1/rollouts/\(rollout)/history?\(query)", via: index).json
            pages.append(page["entries"] as? [[String: Any]] ?? [])
            before = (page["next"] as? NSNumber)?.int64Value
        } while before != nil
        return pages.reversed().flatMap { $0 }
    }

    /// An Alertmanager webhook body with `alerts` (fingerprint, alertname, service).
    static func webhook(_ alerts: [(fingerprint: String, alertname: String, service: String)]) -> Data {
        let items = alerts.map { alert in
            [
                "status": "firing", "fingerprint": alert.fingerprint, "startsAt": "2026-11-29T08:00:00Z",
                "labels": ["alertname": alert.alertname, "service": alert.service], "annotations": [String: String](),
            ] as [String: Any]
        }
        let body: [String: Any] = [
            "version": "4", "status": "firing", "receiver": "coalmine", "groupKey": "{}:{}", "alerts": items,
        ]
        return try! JSONSerialization.data(withJSONObject: body)
    }
}
