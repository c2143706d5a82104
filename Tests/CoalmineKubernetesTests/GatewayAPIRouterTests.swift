import CoalmineCore
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import Logging
import Testing

@Suite struct GatewayAPIRouterTests {
    @Test func anHTTPRoutesBackendWeightsMoveAndNothingElse() async throws {
        let double = KubernetesAPIDouble()
        try double.put("httproutes", namespace: "ml", name: "ranker-route", json: httpRoute)
        let original = double.object("httproutes", namespace: "ml", name: "ranker-route")!
        try await double.run { base in
            let client = try KubernetesClient(endpoint: ClusterEndpoint(server: base, credentials: CredentialSource(bearer: .token("test-token"))))
            let router = GatewayAPIRouter(client: client, logger: Logger(label: "test"))
            #expect(try await router.traffic(of: rankerRollout)?.canaryWeight == 0, "1 to 0 is all traffic on stable")
            for canary in [5, 50, 100] {
                _ = try await router.apply(WeightSplit(run: 1, canary: canary), to: rankerRollout)
                let stored = double.object("httproutes", namespace: "ml", name: "ranker-route")!
                #expect(stored["spec"]?["rules"]?[1]?["backendRefs"]?[0]?["weight"] == .int(Int64(100 - canary)))
                #expect(stored["spec"]?["rules"]?[1]?["backendRefs"]?[1]?["weight"] == .int(Int64(canary)))
                #expect(
                    everythingButWeights(stored, entries: "rules", destinations: "backendRefs", entry: 1, indices: [0, 1])
                        == everythingButWeights(original, entries: "rules", destinations: "backendRefs", entry: 1, indices: [0, 1]))
            }
            try await client.shutdown()
        }
        let patch = try #require(double.requests.first { $0.method == "PATCH" })
        #expect(patch.path == "/apis/gateway.networking.k8s.io/v1/namespaces/ml/httproutes/ranker-route")
        #expect(String(decoding: patch.body, as: UTF8.self).contains(#""path":"/spec/rules/1/backendRefs/1/name""#))
    }

    @Test func aBackendWithoutAnExplicitWeightCountsAsOne() throws {
        let route = decodeJSON(
            """
            {"metadata": {"resourceVersion": "1"}, "spec": {"rules": [{"backendRefs": [
              {"name": "ranker-v1"}, {"name": "ranker-v2", "weight": 0}, {"name": "ranker-legacy"}]}]}}
            """)
        #expect(throws: RouteSelectionError.self) { try RouteLayout.gatewayAPI.entryIndex(in: route, for: rankerRollout) }
        do {
            _ = try RouteLayout.gatewayAPI.entryIndex(in: route, for: rankerRollout)
        } catch {
            #expect(
                error.description
                    == "rule 0 of HTTPRoute ml/ranker-route also sends traffic to ranker-legacy (weight 1); Coalmine splits all of it between ranker-v1 and ranker-v2, so give the others weight 0")
        }
    }
}
