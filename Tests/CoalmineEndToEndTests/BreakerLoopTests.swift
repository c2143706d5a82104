import CoalmineCore
import AsyncHTTPClient
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import NIOCore
import Testing

/// The whole loop on real parts: the workload's errors rise, Prometheus 2.42 evaluates the rules Coalmine
/// generated, Alertmanager 0.25 delivers, Coalmine (the built binary) freezes the canary and pages the chat
/// capture server, a human clicks the link, and the VirtualService on the Kubernetes API double goes back to
/// the stable version. Enabled by COALMINE_E2E=1, which scripts/test.sh sets after installing Prometheus and
/// Alertmanager.
@Suite struct BreakerLoopTests {
    static let enabled = ProcessInfo.processInfo.environment["COALMINE_E2E"] == "1"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let virtualService = """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "tf-model-route", "namespace": "ml"},
         "spec": {"hosts": ["tf-model-service"], "http": [{"name": "primary", "route": [
           {"destination": {"host": "tf-model-service", "subset": "v1"}, "weight": 100},
           {"destination": {"host": "tf-model-service", "subset": "v2"}, "weight": 0}],
           "retries": {"attempts": 3}}]}}
        """

    @Test(.enabled(if: enabled), .timeLimit(.minutes(5)))
    func errorsRiseTheBreakerTripsAHumanRollsBackAndAHealthyRunPromotes() async throws {
        try await Self.inWorld(Self.scenario)
    }

    /// Runs `scenario` against a started world: the built binary, Prometheus, Alertmanager and the workload, with
    /// the VirtualService on the API double and chat on the capture server. `rolloutExtra`: more rollout keys.
    static func inWorld(
        rolloutExtra: String = "",
        _ scenario: @Sendable (World, KubernetesAPIDouble, ChatCaptureServer) async throws -> Void
    ) async throws {
        let workspace = try TestWorkspace()
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: Self.virtualService)
        let capture = ChatCaptureServer()
        try await double.run { kubernetes in
            try await capture.run { chat in
                let world = try World(
                    directory: workspace.directory, kubernetes: kubernetes, chat: chat, rolloutExtra: rolloutExtra)
                defer { world.stop() }
                do {
                    try await world.start()
                    try await scenario(world, double, capture)
                } catch {
                    Issue.record("\(error)\n\(world.logs)")
                }
            }
        }
    }

    /// Internal users first, on the same real parts: the run starts with only `x-user-group: internal` on the
    /// canary; the canary's errors trip the breaker in that stage, the human's "Roll back" click takes the header
    /// route out of the VirtualService and the run is rolled back only once that is read back.
    @Test(.enabled(if: enabled), .timeLimit(.minutes(5)))
    func theBreakerTripsInTheHeaderStageAndTheRollbackTakesTheHeaderRouteOut() async throws {
        try await Self.inWorld(
            rolloutExtra: "    headerStage: { header: x-user-group, exact: internal, bake: 1h }", Self.headerStageScenario)
    }

    @Sendable static func headerStageScenario(_ world: World, _ double: KubernetesAPIDouble, _ capture: ChatCaptureServer) async throws {
        @Sendable func http() -> [JSONValue] {
            double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?.array ?? []
        }
        @Sendable func names() -> [String?] { http().map { $0["name"]?.string } }
        @Sendable func weights() -> [Int64?] {
            let route = http().last?["route"]
            return [route?[0]?["weight"]?.int, route?[1]?["weight"]?.int]
        }
        try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start")
        try await eventually("the header route in place") { names() == ["coalmine-tf-model-service-header", "primary"] }
        #expect(weights() == [100, 0], "everyone else on stable")
        #expect(http().first?["match"]?[0]?["headers"]?["x-user-group"]?["exact"] == .string("internal"))
        #expect(try await world.rollout()["traffic"] as? String == "internal (x-user-group=internal)")

        try await world.workload("ratio=0.05")
        try await eventually("the breaker tripping in the header stage", within: .seconds(90)) {
            try await world.rollout()["state"] as? String == "awaiting-human"
        }
        #expect(names() == ["coalmine-tf-model-service-header", "primary"], "the stage is frozen, not undone")
        let page = try await {
            try await eventually("the page reaching chat") {
                capture.captured("slack").contains { ($0.json["text"] as? String)?.contains("circuit breaker tripped") == true }
            }
            return try #require(capture.captured("slack").first { ($0.json["text"] as? String)?.contains("circuit breaker tripped") == true })
        }()
        let text = try #require(String(data: try JSONSerialization.data(withJSONObject: page.json), encoding: .utf8))
        #expect(text.contains("internal (x-user-group=internal)"), "the page says who is on the canary")
        let buttons = (page.json["blocks"] as? [[String: Any]])?.last?["elements"] as? [[String: Any]] ?? []
        let rollback = try #require(buttons.first?["url"] as? String)
        let confirm = try await world.request(.POST, rollback)
        #expect(confirm.status == 200)
        try await eventually("the rollback read back") { try await world.rollout()["state"] as? String == "rolled-back" }
        #expect(names() == ["primary"])
        #expect(weights() == [100, 0])
    }

    @Sendable static func scenario(_ world: World, _ double: KubernetesAPIDouble, _ capture: ChatCaptureServer) async throws {
        @Sendable func weights() -> [Int64?] {
            let route = double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?[0]?["route"]
            return [route?[0]?["weight"]?.int, route?[1]?["weight"]?.int]
        }
        @Sendable func pages() -> [ChatCaptureServer.Captured] {
            capture.captured("slack").filter { ($0.json["text"] as? String)?.contains("circuit breaker tripped") == true }
        }

        // The operator's checks before a rollout: the route is found read-only, and the chat channel answers.
        let check = try await world.cli(["check-config"])
        #expect(check.status == 0)
        #expect(check.output.contains("cluster: rollout tf-model-service: /apis/networking.istio.io/v1/namespaces/ml/virtualservices/tf-model-route: http route 0 holds both versions, weights stable 100 / canary 0"))
        #expect(double.requests.allSatisfy { $0.method == "GET" }, "check-config never writes")
        let notifyTest = try await world.cli(["notify-test", "chat"])
        #expect(notifyTest.status == 0)
        #expect(capture.captured("slack").contains { ($0.json["text"] as? String)?.contains("test message: Coalmine can reach this channel") == true })

        // 1. Start: 95/5, then the bake moves it to 90/10.
        try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start")
        try await eventually("the VirtualService at 95/5") { weights() == [95, 5] }
        try await eventually("the bake moving it to 90/10", within: .seconds(30)) { weights() == [90, 10] }

        // 2. The canary fails 5 % of requests: Prometheus fires, Alertmanager delivers, Coalmine waits for a human.
        try await world.workload("ratio=0.05")
        try await eventually("the breaker putting the rollout in front of a human", within: .seconds(90)) {
            try await world.rollout()["state"] as? String == "awaiting-human"
        }
        #expect(try await world.rollout()["reason"] as? String == "breaker")
        #expect(weights() == [90, 10])
        try await Task.sleep(for: .seconds(21))
        #expect(weights() == [90, 10], "frozen while a whole bake time passes")
        #expect(try await world.rollout()["state"] as? String == "awaiting-human")
        try await eventually("the page reaching chat") { pages().count == 1 }
        let page = try #require(pages().first)
        let buttons = (page.json["blocks"] as? [[String: Any]])?.last?["elements"] as? [[String: Any]] ?? []
        let titles = buttons.compactMap { ($0["text"] as? [String: Any])?["text"] as? String }
        #expect(titles == ["Roll back", "Resume", "Status"])
        let rollback = try #require(buttons.first?["url"] as? String)

        // 5. Alertmanager re-sent the group meanwhile; none of it made a second transition or message.
        #expect(try await world.webhookDeliveries() >= 2, "Alertmanager repeated its notification")
        #expect(pages().count == 1)
        #expect(try await world.transitions(to: "awaiting-human", run: 1) == 1)

        // 3. Opening the link changes nothing; confirming it rolls back.
        let preview = try await world.request(.GET, rollback)
        #expect(preview.status == 200)
        #expect(try await world.rollout()["state"] as? String == "awaiting-human")
        let confirm = try await world.request(.POST, rollback)
        #expect(confirm.status == 200)
        try await eventually("the rollback read back") { try await world.rollout()["state"] as? String == "rolled-back" }
        #expect(weights() == [100, 0])
        try await eventually("the rolled-back message") {
            capture.captured("slack").contains { ($0.json["text"] as? String)?.contains("rolled back") == true }
        }

        // 4. A second, healthy run: 0.5 % errors never trip; a gate pauses and its resolution resumes; it promotes.
        try await world.workload("ratio=0.005")
        try await eventually("the breaker resolving", within: .seconds(60)) {
            (try await world.rollout()["firingAlerts"] as? [Any])?.isEmpty == true
        }
        try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start")
        try await eventually("run 2 at 95/5") { weights() == [95, 5] }
        try await world.workload("gate=1")
        try await eventually("the gate pausing run 2", within: .seconds(60)) {
            try await world.rollout()["state"] as? String == "paused"
        }
        let pausedAt = weights()
        try await world.workload("gate=0")
        try await eventually("the gate's resolution resuming run 2", within: .seconds(60)) {
            try await world.rollout()["state"] as? String == "observing"
        }
        #expect(weights() == pausedAt, "nothing moved while paused")
        try await eventually("run 2 promoted", within: .seconds(120)) {
            try await world.rollout()["state"] as? String == "promoted"
        }
        #expect(weights() == [0, 100])
        #expect(try await world.transitions(to: "awaiting-human", run: 2) == 0, "0.5 % never tripped the breaker")
        #expect(pages().count == 1)
    }
}

/// Polls `check` until it holds, or fails naming `what`.
func eventually(
    _ what: String, within limit: Duration = .seconds(30), _ check: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if (try? await check()) == true { return }
        try await Task.sleep(for: .milliseconds(250))
    }
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }
    throw Timeout(description: "timed out waiting for \(what)")
}
