import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineHTTP
import CoalmineJournal
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// A rollback must reach the cluster at once, whatever the chat APIs are doing: here every chat endpoint sends
/// its headers and never finishes its body, and 20 rollouts are aborted one after another over real HTTP.
@Suite struct RollbackUnderStalledChatTests {
    static let rollouts = 20

    @Test(.timeLimit(.minutes(2))) func abortsReachTheAPIWithinMillisecondsWhileEveryNotifierStalls() async throws {
        let workspace = try TestWorkspace()
        let chat = ChatCaptureServer()
        let double = KubernetesAPIDouble()
        for index in 0..<Self.rollouts {
            try double.put("virtualservices", namespace: "ml", name: "route-\(index)", json: Self.virtualService(index))
        }
        try await chat.run { chatURL in
            chat.stallEverything()
            try "\(chatURL)/slack-stalled".write(toFile: "\(workspace.directory)/slack-url", atomically: true, encoding: .utf8)
            try "\(chatURL)/hook-stalled".write(toFile: "\(workspace.directory)/hook-url", atomically: true, encoding: .utf8)
            try await double.run { apiURL in
                try await withKubernetesClient(
                    ClusterEndpoint(server: apiURL, credentials: CredentialSource(bearer: .token("test-token")))
                ) { client in
                let runtime = try await CoalmineRuntime.make(
                    config: try Self.config(workspace), logger: Logger(label: "test"),
                    router: ClusterRouter(client: client, istioAPIVersion: "v1", logger: Logger(label: "test")))
                let app = buildApplication(runtime, logger: Logger(label: "test"))
                let apiAuth: HTTPFields = [.authorization: "Bearer \(try workspace.secret("api-token"))"]
                let webhookAuth: HTTPFields = [
                    .authorization: "Bearer \(try workspace.secret("webhook-token"))", .contentType: "application/json",
                ]
                try await app.test(.live) { http in
                    for index in 0..<Self.rollouts {
                        let started = try await http.execute(
                            uri: "/api/v1/rollouts/svc-\(index)/start", method: .post, headers: apiAuth)
                        #expect(started.status == .ok)
                    }
                    try await waitUntil { Self.patches(double).count == Self.rollouts }
                    #expect(chat.captured("slack-stalled").count >= 1, "the notifiers are busy with stalled posts")

                    var latencies: [Duration] = []
                    for index in 0..<Self.rollouts {
                        let sentAt = ContinuousClock.now
                        let answer = try await http.execute(
                            uri: "/hooks/alertmanager", method: .post, headers: webhookAuth,
                            body: alertmanagerBody(
                                labels: ["alertname": "TFServingOpKernelMissing", "service": "svc-\(index)"],
                                fingerprint: "abort-\(index)"))
                        let answeredAt = ContinuousClock.now
                        #expect(answer.status == .ok)
                        try await waitUntil {
                            Self.patches(double).contains { $0.path.hasSuffix("/route-\(index)") && $0.receivedAt > sentAt }
                        }
                        let patch = Self.patches(double).first { $0.path.hasSuffix("/route-\(index)") && $0.receivedAt > sentAt }!
                        // The PATCH often arrives before the 200 does: the lane starts as soon as the commit is durable.
                        latencies.append(max(.zero, answeredAt.duration(to: patch.receivedAt)))
                    }
                    let worst = latencies.max()!
                    let median = latencies.sorted()[latencies.count / 2]
                    func ms(_ duration: Duration) -> String {
                        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
                        return "\((milliseconds * 10).rounded() / 10) ms"
                    }
                    print("abort → PATCH with every notifier stalled, \(Self.rollouts) rollouts: median \(ms(median)), worst \(ms(worst))")
                    #expect(worst <= .milliseconds(100), "p99 (the worst of \(Self.rollouts)) abort → PATCH: \(worst)")
                    for index in 0..<Self.rollouts {
                        let route = double.object("virtualservices", namespace: "ml", name: "route-\(index)")?["spec"]?["http"]?[0]?["route"]
                        #expect(route?[0]?["weight"] == .int(100) && route?[1]?["weight"] == .int(0), "svc-\(index) rolled back")
                    }
                }
                }
            }
        }
    }

    static func patches(_ double: KubernetesAPIDouble) -> [KubernetesAPIDouble.Request] {
        double.requests.filter { $0.method == "PATCH" }
    }

    static func virtualService(_ index: Int) -> String {
        """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "route-\(index)", "namespace": "ml"},
         "spec": {"hosts": ["svc-\(index)"], "http": [{"name": "primary", "route": [
           {"destination": {"host": "svc-\(index)", "subset": "v1"}, "weight": 100},
           {"destination": {"host": "svc-\(index)", "subset": "v2"}, "weight": 0}]}]}}
        """
    }

    static func config(_ workspace: TestWorkspace) throws -> CoalmineConfig {
        let directory = workspace.directory
        let rollouts = (0..<rollouts).map { index in
            """
              - name: svc-\(index)
                namespace: ml
                virtualService: route-\(index)
                stableSubset: v1
                canarySubset: v2
                alerts:
                  matchLabels: { service: svc-\(index) }
                  roles:
                    - { match: { alertname: TFServingOpKernelMissing }, role: abort }
                notify: [slack, hook]
            """
        }.joined(separator: "\n")
        return try ConfigLoader.parse(
            """
            server:
              listen: "127.0.0.1:0"
              webhook:
                auth: { bearerTokenFile: "\(directory)/webhook-token" }
              api: { tokenFile: "\(directory)/api-token" }
              actions: { signingKeyFile: "\(directory)/action-key" }
            store:
              sqlite: { path: "\(workspace.journalPath)" }
            notifiers:
              - { name: slack, type: slack, urlFile: "\(directory)/slack-url", timeout: 3s }
              - { name: hook, type: webhook, urlFile: "\(directory)/hook-url", timeout: 3s }
            defaults:
              bake: 1h
            rollouts:
            \(rollouts)
            """)
    }
}
