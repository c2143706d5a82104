import CoalmineCore
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import Logging
import Testing

@Suite struct IstioRouterTests {
    func withRouter(
        _ double: KubernetesAPIDouble, credentials: CredentialSource = CredentialSource(bearer: .token("test-token")),
        _ body: @Sendable (IstioRouter, KubernetesClient) async throws -> Void
    ) async throws {
        try await double.run { base in
            let client = try KubernetesClient(endpoint: ClusterEndpoint(server: base, credentials: credentials))
            do {
                try await body(IstioRouter(client: client, logger: Logger(label: "test")), client)
                try await client.shutdown()
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    @Test func aWholeRolloutChangesTwoWeightsAndNothingElse() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        let original = double.object("virtualservices", namespace: "ml", name: "tf-model-route")!
        try await withRouter(double) { router, _ in
            for canary in [5, 10, 30, 50, 100, 0] {
                let applied = try await router.apply(WeightSplit(run: 1, canary: canary), to: tfRollout)
                #expect(applied == WeightSplit(run: 1, canary: canary))
                let stored = double.object("virtualservices", namespace: "ml", name: "tf-model-route")!
                let route = stored["spec"]?["http"]?[1]?["route"]
                #expect(route?[0]?["weight"] == .int(Int64(100 - canary)))
                #expect(route?[1]?["weight"] == .int(Int64(canary)))
                #expect(
                    everythingButWeights(stored, entries: "http", destinations: "route", entry: 1, indices: [0, 1])
                        == everythingButWeights(original, entries: "http", destinations: "route", entry: 1, indices: [0, 1]),
                    "retries, mirror, fault, timeout, headers, other routes and annotations are untouched")
                #expect(try await router.traffic(of: tfRollout)?.canaryWeight == canary)
            }
        }
    }

    /// A rollback must reach the cluster fast: a write after one of Coalmine's own is planned from its read-back,
    /// so the PATCH is the first request, not the second.
    @Test func aWriteAfterAReadBackPatchesWithoutReadingFirst() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { router, _ in
            _ = try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout)
            _ = try await router.apply(WeightSplit(run: 1, canary: 0), to: tfRollout)
        }
        #expect(double.requests.map(\.method) == ["GET", "PATCH", "GET", "PATCH", "GET"])
        #expect(double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?[1]?["route"]?[1]?["weight"] == .int(0))
    }

    /// Someone edits the object between two writes (a GitOps sync): the write planned from the old read is refused
    /// by its resourceVersion test, read again and made on the new object, keeping the edit.
    @Test func anEditSinceTheLastReadIsReadAgainAndKept() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { router, _ in
            _ = try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout)
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route") { object in
                guard case .object(var fields) = object, case .object(var metadata) = fields["metadata"] else { return object }
                metadata["labels"] = .object(["synced-by": .string("argocd")])
                fields["metadata"] = .object(metadata)
                return .object(fields)
            }
            let applied = try await router.apply(WeightSplit(run: 1, canary: 0), to: tfRollout)
            #expect(applied == WeightSplit(run: 1, canary: 0))
        }
        #expect(double.requests.map(\.method) == ["GET", "PATCH", "GET", "PATCH", "GET", "PATCH", "GET"])
        let stored = try #require(double.object("virtualservices", namespace: "ml", name: "tf-model-route"))
        #expect(stored["metadata"]?["labels"]?["synced-by"] == .string("argocd"))
        #expect(stored["spec"]?["http"]?[1]?["route"]?[0]?["weight"] == .int(100))
        #expect(stored["spec"]?["http"]?[1]?["route"]?[1]?["weight"] == .int(0))
    }

    @Test func writesAreGuardedJSONPatchesOfTheTwoWeights() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        let named = {
            var rollout = tfRollout
            rollout.route = "primary"
            return rollout
        }()
        try await withRouter(double) { router, _ in
            _ = try await router.apply(WeightSplit(run: 1, canary: 5), to: named)
        }
        let patch = try #require(double.requests.first { $0.method == "PATCH" })
        #expect(patch.path == "/apis/networking.istio.io/v1/namespaces/ml/virtualservices/tf-model-route")
        #expect(patch.contentType == "application/json-patch+json")
        let operations = try JSONDecoder().decode([JSONPatchOperation].self, from: patch.body)
        #expect(
            operations == [
                JSONPatchOperation(op: "test", path: "/metadata/resourceVersion", value: .string("1000")),
                JSONPatchOperation(op: "test", path: "/spec/http/1/name", value: .string("primary")),
                JSONPatchOperation(op: "test", path: "/spec/http/1/route/0/destination/subset", value: .string("v1")),
                JSONPatchOperation(op: "test", path: "/spec/http/1/route/1/destination/subset", value: .string("v2")),
                JSONPatchOperation(op: "add", path: "/spec/http/1/route/0/weight", value: .int(95)),
                JSONPatchOperation(op: "add", path: "/spec/http/1/route/1/weight", value: .int(5)),
            ])
    }

    @Test func aConcurrentWriterMakesTheRouterReadAgainAndConverge() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        double.writeConcurrently(beforeNextPatches: 2)
        try await withRouter(double) { router, _ in
            let applied = try await router.apply(WeightSplit(run: 1, canary: 10), to: tfRollout)
            #expect(applied.canary == 10)
        }
        #expect(double.requests.filter { $0.method == "PATCH" }.count == 3)
        #expect(double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?[1]?["route"]?[1]?["weight"] == .int(10))
    }

    @Test func endlessConflictsFailTheEffectAfterABoundedNumberOfTries() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        double.writeConcurrently(beforeNextPatches: 100)
        try await withRouter(double) { router, _ in
            await #expect(throws: KubernetesError.self) { try await router.apply(WeightSplit(run: 1, canary: 10), to: tfRollout) }
        }
        #expect(double.requests.filter { $0.method == "PATCH" }.count == 5)
    }

    @Test func anAdmissionDenialReadsAsTheWebhooksReason() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { _, client in
            do {
                _ = try await client.patch(
                    "/apis/networking.istio.io/v1/namespaces/ml/virtualservices/tf-model-route",
                    [.add(["spec", "http", 1, "route", 1, "weight"], .int(5))])
                Issue.record("weights summing to 105 were accepted")
            } catch let error as KubernetesError {
                #expect(error.code == 403)
                #expect(
                    error.description
                        == "403 Forbidden: admission webhook \"validation.istio.io\" denied the request: configuration is invalid: http[1]: total destination weight 105 != 100")
            }
        }
    }

    @Test func aClusterWithoutIstioV1IsServedThroughV1beta1() async throws {
        let double = KubernetesAPIDouble()
        double.serveIstio(versions: ["v1beta1"])
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { router, _ in
            _ = try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout)
            _ = try await router.apply(WeightSplit(run: 1, canary: 10), to: tfRollout)
        }
        let patches = double.requests.filter { $0.method == "PATCH" }.map(\.path)
        #expect(patches == Array(repeating: "/apis/networking.istio.io/v1beta1/namespaces/ml/virtualservices/tf-model-route", count: 2))
    }

    @Test func aMissingObjectOrAmbiguousRouteIsAClearError() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { router, _ in
            var missing = tfRollout
            missing.object = "nope"
            do {
                _ = try await router.traffic(of: missing)
                Issue.record("a missing VirtualService was found")
            } catch let error as KubernetesError {
                #expect(error.description == "404 NotFound: virtualservices.networking.istio.io \"nope\" not found")
            }
            var wrongName = tfRollout
            wrongName.route = "canary"
            do {
                _ = try await router.traffic(of: wrongName)
                Issue.record("a missing route was found")
            } catch let error as RouteSelectionError {
                #expect(error.description == "VirtualService ml/tf-model-route has no http route named 'canary' (named: 'admin', 'primary')")
            }
        }
    }

    @Test func withoutARouteNameTheOneRouteSendingToBothSubsetsIsChosen() throws {
        let rollout = RolloutSpec(name: "x", namespace: "ml", object: "tf-model-route", stable: "v1", canary: "v3-shadow")
        #expect(try RouteLayout.istio.entryIndex(in: decodeJSON(richVirtualService), for: rollout) == 1)
    }

    @Test func noRouteSendingToBothSubsetsIsAClearError() {
        let rollout = RolloutSpec(name: "x", namespace: "ml", object: "tf-model-route", stable: "v1", canary: "v9")
        do {
            _ = try RouteLayout.istio.entryIndex(in: decodeJSON(richVirtualService), for: rollout)
            Issue.record("a route was found for a subset no route sends to")
        } catch {
            #expect(
                error.description
                    == "exactly one http route of VirtualService ml/tf-model-route must send to both subsets v1 and v9; none does")
        }
    }

    @Test func tokensAreReadFromTheirFileAgainAfterA401() async throws {
        let workspace = try TestWorkspace()
        let tokenFile = "\(workspace.directory)/token"
        try "first-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let double = KubernetesAPIDouble(tokens: ["first-token"])
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double, credentials: CredentialSource(bearer: .file(path: tokenFile, maxAge: .seconds(3600)))) { router, _ in
            _ = try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout)
            try "rotated-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            double.acceptOnly(tokens: ["rotated-token"])
            _ = try await router.apply(WeightSplit(run: 1, canary: 10), to: tfRollout)
        }
        let authorizations = double.requests.map(\.authorization)
        #expect(authorizations.contains("Bearer first-token"))
        #expect(authorizations.last == "Bearer rotated-token")
        #expect(double.object("virtualservices", namespace: "ml", name: "tf-model-route")?["spec"]?["http"]?[1]?["route"]?[1]?["weight"] == .int(10))
    }

    @Test func serverErrorsFailTheEffectForTheCoreToRetry() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        double.fail(next: [500])
        try await withRouter(double) { router, _ in
            await #expect(throws: KubernetesError.self) { try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout) }
            let retried = try await router.apply(WeightSplit(run: 1, canary: 5), to: tfRollout)
            #expect(retried.canary == 5)
        }
    }
}
