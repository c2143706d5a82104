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
}
