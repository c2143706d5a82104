import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import CoalmineKubernetes
import CoalmineTestSupport
import Logging
import Testing

/// The engine, the outbox and the real routers together against the API double: what `serve` does in a cluster.
@Suite struct RolloutOnClusterTests {
    @Test func aRolloutMovesTheVirtualServiceRollsBackAndCorrectsDrift() async throws {
        let workspace = try TestWorkspace()
        let config = try workspace.config()
        let clock = ManualClock()
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        @Sendable func weights() -> [JSONValue?] {
            let route = double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?[1]?["route"]
            return [route?[0]?["weight"], route?[1]?["weight"]]
        }
        try await double.run { base in
            let client = try KubernetesClient(endpoint: ClusterEndpoint(server: base, credentials: CredentialSource(bearer: .token("test-token"))))
            let router = ClusterRouter(client: client, istioAPIVersion: "v1", logger: Logger(label: "test"))
            let journal = try SQLiteJournal(path: workspace.journalPath)
            let engine = try await RolloutEngine(config: config, store: journal, clock: clock.reading)
            let notifier = RecordingNotifier(name: "console")
            let runner = EffectRunner(
                engine: engine, router: router, notifiers: [notifier],
                links: ActionLinks(publicURL: "http://127.0.0.1:9095", signer: ActionSigner(currentKey: "k", linkTTL: .seconds(3600))),
                clock: clock.reading)
            let watcher = DriftWatcher(engine: engine, router: router, interval: .seconds(30))

            let inspection = try await router.inspect(config.rollouts[0])
            #expect(inspection.description.hasSuffix("http route 1 holds both versions, weights stable 100 / canary 0"))

            _ = try await engine.perform(HumanCommand(.start, actor: "alice"), on: "tf-model-service")
            await runner.runDueEffects()
            #expect(weights() == [.int(95), .int(5)])
            clock.advance(by: .seconds(3600))
            try await engine.tick()
            await runner.runDueEffects()
            #expect(weights() == [.int(90), .int(10)])
            let applied = try await engine.history(of: "tf-model-service").filter {
                $0.kind == .effectResult && $0.body.contains("\"status\":\"applied\"")
            }
            #expect(applied.count == 2, "each write journaled as read back")

            // Argo CD syncs the Git version back: all traffic on stable.
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route") { _ in decodeJSON(richVirtualService) }
            await watcher.checkOnce()
            await runner.runDueEffects()
            #expect(weights() == [.int(90), .int(10)], "drift corrected")
            #expect(try await engine.history(of: "tf-model-service").contains { $0.kind == .driftDetected })

            _ = try await engine.perform(HumanCommand(.rollback, actor: "bob"), on: "tf-model-service")
            await runner.runDueEffects()
            #expect(weights() == [.int(100), .int(0)])
            #expect(try await engine.view(of: "tf-model-service").state == .rolledBack, "only after the read-back showed 0")
            try await client.shutdown()
        }
    }

    /// Internal users first: the header stage, the weighted steps with the header route kept, a hand edit that
    /// drops the route put right, and promotion taking it away, on the VirtualService; on an HTTPRoute, a rollback
    /// from the stage that completes only once the rule is read back gone.
    @Test func aHeaderStageRunsOnTheClusterBeforeTheWeightsAndGoesWithThePromotion() async throws {
        let workspace = try TestWorkspace()
        let config = try workspace.config(
            rolloutExtra: """
                    headerStage: { header: x-user-group, exact: internal, bake: 2h }
                  - name: ranker
                    namespace: ml
                    router: gateway-api
                    httpRoute: ranker-route
                    stableService: ranker-v1
                    canaryService: ranker-v2
                    headerStage: { header: x-user-bucket, regex: "^[0-4]$" }
                """)
        let clock = ManualClock()
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try double.put("httproutes", namespace: "ml", name: "ranker-route", json: httpRoute)
        @Sendable func http() -> [JSONValue] {
            double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?.array ?? []
        }
        @Sendable func names() -> [String?] { http().map { $0["name"]?.string } }
        @Sendable func weights() -> [JSONValue?] {
            let route = http().last?["route"]
            return [route?[0]?["weight"], route?[1]?["weight"]]
        }
        try await double.run { base in
            let client = try KubernetesClient(endpoint: ClusterEndpoint(server: base, credentials: CredentialSource(bearer: .token("test-token"))))
            let router = ClusterRouter(client: client, istioAPIVersion: "v1", logger: Logger(label: "test"))
            let engine = try await RolloutEngine(config: config, store: try SQLiteJournal(path: workspace.journalPath), clock: clock.reading)
            let runner = EffectRunner(
                engine: engine, router: router, notifiers: [RecordingNotifier(name: "console")],
                links: ActionLinks(publicURL: "http://127.0.0.1:9095", signer: ActionSigner(currentKey: "k", linkTTL: .seconds(3600))),
                clock: clock.reading)
            let watcher = DriftWatcher(engine: engine, router: router, interval: .seconds(30))

            _ = try await engine.perform(HumanCommand(.start, actor: "alice"), on: "tf-model-service")
            await runner.runDueEffects()
            #expect(names() == ["admin", "coalmine-tf-model-service-header", "primary"])
            #expect(weights() == [.int(100), .int(0)], "everyone else stays on stable")
            let staged = try await engine.view(of: "tf-model-service")
            #expect(staged.traffic == "internal (x-user-group=internal)")
            #expect(staged.nextStepAt == clock.reading() + .seconds(7200))
            let readBack = try await engine.history(of: "tf-model-service").last { $0.kind == .effectResult }
            #expect(readBack?.body.contains(#""headerRoute":{"header":"x-user-group","kind":"exact","value":"internal"}"#) == true)

            clock.advance(by: .seconds(7200))
            try await engine.tick()
            await runner.runDueEffects()
            #expect(weights() == [.int(95), .int(5)])
            #expect(names() == ["admin", "coalmine-tf-model-service-header", "primary"], "the header route stays")

            // Argo CD syncs the Git version back: no header route, all traffic on stable.
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route") { _ in decodeJSON(richVirtualService) }
            await watcher.checkOnce()
            await runner.runDueEffects()
            #expect(names() == ["admin", "coalmine-tf-model-service-header", "primary"], "drift corrected")
            #expect(weights() == [.int(95), .int(5)])
            let drift = try await engine.history(of: "tf-model-service").last { $0.kind == .driftDetected }
            #expect(drift?.body.contains(#""intendedHeaderRoute":{"#) == true)
            #expect(drift?.body.contains("observedHeaderRoute") == false)

            _ = try await engine.perform(HumanCommand(.promote, actor: "bob"), on: "tf-model-service")
            await runner.runDueEffects()
            #expect(names() == ["admin", "primary"])
            #expect(weights() == [.int(0), .int(100)])

            _ = try await engine.perform(HumanCommand(.start, actor: "alice"), on: "ranker")
            await runner.runDueEffects()
            let rules = { double.object("httproutes", namespace: "ml", name: "ranker-route")?["spec"]?["rules"]?.array ?? [] }
            #expect(rules().map { $0["name"]?.string } == ["health", "coalmine-ranker-header", "main"])
            #expect(rules()[1]["matches"]?[0]?["headers"]?[0]?["type"] == .string("RegularExpression"))
            _ = try await engine.perform(HumanCommand(.rollback, actor: "bob"), on: "ranker")
            #expect(try await engine.view(of: "ranker").state == .rollingBack)
            await runner.runDueEffects()
            #expect(rules().map { $0["name"]?.string } == ["health", "main"])
            #expect(try await engine.view(of: "ranker").state == .rolledBack, "only after the read-back showed the rule gone")
            try await client.shutdown()
        }
    }
}
