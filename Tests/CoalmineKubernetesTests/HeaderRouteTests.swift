import CoalmineCore
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import Logging
import Testing

/// Coalmine's header route on the API double: added before the rollout's route as a copy of it that also requires
/// the header and sends to the canary alone, kept through weight changes, put back when edited away, removed on
/// promotion and rollback; nothing else in the object changes.
@Suite struct HeaderRouteTests {
    static let internalUsers = HeaderMatch(header: "x-user-group", kind: .exact, value: "internal")
    static let bucket = HeaderMatch(header: "x-user-bucket", kind: .regex, value: "^[0-4]$")

    func withRouter(
        _ double: KubernetesAPIDouble, _ body: @Sendable (any TrafficRouter) async throws -> Void
    ) async throws {
        try await double.run { base in
            let client = try KubernetesClient(
                endpoint: ClusterEndpoint(server: base, credentials: CredentialSource(bearer: .token("test-token"))))
            let router = ClusterRouter(client: client, istioAPIVersion: "v1", logger: Logger(label: "test"))
            do {
                try await body(router)
                try await client.shutdown()
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    static func virtualService(_ double: KubernetesAPIDouble) -> JSONValue {
        double.object("virtualservices", namespace: "ml", name: "tf-model-route")!
    }

    /// The object without the header route and with the primary route's weights and the resourceVersion blanked.
    static func withoutCoalmine(_ object: JSONValue, entries: String, destinations: String, headerIndex: Int?) -> JSONValue {
        var object = object
        if let headerIndex, case .object(var root) = object, case .object(var spec)? = root["spec"],
            case .array(var list)? = spec[entries]
        {
            list.remove(at: headerIndex)
            spec[entries] = .array(list)
            root["spec"] = .object(spec)
            object = .object(root)
        }
        return everythingButWeights(object, entries: entries, destinations: destinations, entry: 1, indices: [0, 1])
    }

    /// `value` with the field at `path` (object keys, or array indices written as numbers) set to `new`.
    static func setting(_ value: JSONValue, at path: [String], to new: JSONValue) -> JSONValue {
        guard let first = path.first else { return new }
        let rest = Array(path.dropFirst())
        switch value {
        case .object(var fields):
            fields[first] = setting(fields[first] ?? .null, at: rest, to: new)
            return .object(fields)
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else { return value }
            items[index] = setting(items[index], at: rest, to: new)
            return .array(items)
        default:
            return value
        }
    }

    /// The VirtualService with its second `http` route moved to the end.
    static func movingSecondRouteLast(_ object: JSONValue) -> JSONValue {
        guard case .object(var root) = object, case .object(var spec)? = root["spec"], case .array(var http)? = spec["http"]
        else { return object }
        http.append(http.remove(at: 1))
        spec["http"] = .array(http)
        root["spec"] = .object(spec)
        return .object(root)
    }

    @Test func onIstioTheHeaderRouteGoesInBeforeTheRolloutsRouteAndStaysUntilTheRollback() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        let original = Self.virtualService(double)
        try await withRouter(double) { router in
            let stage = WeightSplit(run: 1, canary: 0, headerRoute: Self.internalUsers)
            #expect(try await router.apply(stage, to: tfRollout) == stage)
            let stored = Self.virtualService(double)
            let http = try #require(stored["spec"]?["http"]?.array)
            #expect(http.map { $0["name"]?.string } == ["admin", "coalmine-tf-model-service-header", "primary"])
            #expect(
                http[1]
                    == decodeJSON(
                        """
                        {"name": "coalmine-tf-model-service-header",
                         "match": [{"uri": {"prefix": "/v1/models"},
                                    "headers": {"x-team": {"exact": "ml"}, "x-user-group": {"exact": "internal"}}}],
                         "route": [{"destination": {"host": "tf-model-service", "subset": "v2", "port": {"number": 8501}}}],
                         "mirror": {"host": "tf-model-shadow", "subset": "v2"},
                         "mirrorPercentage": {"value": 5.5},
                         "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,reset"},
                         "timeout": "10s",
                         "fault": {"delay": {"percentage": {"value": 0.1}, "fixedDelay": "5s"}}}
                        """),
                "a copy of the rollout's route that also requires the header and sends to the canary alone")
            #expect(http[2]["route"]?[0]?["weight"] == .int(100))
            #expect(http[2]["route"]?[1]?["weight"] == .int(0))
            #expect(
                Self.withoutCoalmine(stored, entries: "http", destinations: "route", headerIndex: 1)
                    == Self.withoutCoalmine(original, entries: "http", destinations: "route", headerIndex: nil))
            #expect(try await router.traffic(of: tfRollout) == TrafficReading(canaryWeight: 0, headerRoute: Self.internalUsers))

            let patchesBefore = double.requests.filter { $0.method == "PATCH" }.count
            _ = try await router.apply(WeightSplit(run: 1, canary: 5, headerRoute: Self.internalUsers), to: tfRollout)
            let weightsOnly = try #require(double.requests.filter { $0.method == "PATCH" }.dropFirst(patchesBefore).first)
            let operations = try JSONDecoder().decode([JSONPatchOperation].self, from: weightsOnly.body)
            #expect(
                operations.map(\.path) == [
                    "/metadata/resourceVersion", "/spec/http/2/route/0/destination/subset",
                    "/spec/http/2/route/1/destination/subset", "/spec/http/2/route/0/weight", "/spec/http/2/route/1/weight",
                ], "a weight change leaves the header route alone")
            #expect(try await router.traffic(of: tfRollout) == TrafficReading(canaryWeight: 5, headerRoute: Self.internalUsers))

            _ = try await router.apply(WeightSplit(run: 1, canary: 0), to: tfRollout)
            let rollback = try #require(double.requests.last { $0.method == "PATCH" })
            let removal = try JSONDecoder().decode([JSONPatchOperation].self, from: rollback.body).suffix(2)
            #expect(
                Array(removal) == [
                    JSONPatchOperation(op: "test", path: "/spec/http/1/name", value: .string("coalmine-tf-model-service-header")),
                    JSONPatchOperation(op: "remove", path: "/spec/http/1"),
                ])
            #expect(Self.virtualService(double)["spec"]?["http"]?.array?.count == 2)
            #expect(
                Self.withoutCoalmine(Self.virtualService(double), entries: "http", destinations: "route", headerIndex: nil)
                    == Self.withoutCoalmine(original, entries: "http", destinations: "route", headerIndex: nil))
            #expect(try await router.traffic(of: tfRollout) == TrafficReading(canaryWeight: 0, headerRoute: nil))
        }
    }

    @Test func aHeaderRouteEditedOrMovedByHandReadsAsMissingAndIsPutBack() async throws {
        let double = KubernetesAPIDouble()
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await withRouter(double) { router in
            let stage = WeightSplit(run: 1, canary: 0, headerRoute: Self.internalUsers)
            _ = try await router.apply(stage, to: tfRollout)
            // Someone points it at the stable subset.
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route") { object in
                Self.setting(object, at: ["spec", "http", "1", "route", "0", "destination", "subset"], to: .string("v1"))
            }
            #expect(Self.virtualService(double)["spec"]?["http"]?[1]?["route"]?[0]?["destination"]?["subset"] == .string("v1"))
            #expect(try await router.traffic(of: tfRollout) == TrafficReading(canaryWeight: 0, headerRoute: nil))
            #expect(try await router.apply(stage, to: tfRollout) == stage)
            #expect(Self.virtualService(double)["spec"]?["http"]?[1]?["route"]?[0]?["destination"]?["subset"] == .string("v2"))

            // Someone moves it after the rollout's route, where Istio would never reach it.
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route", Self.movingSecondRouteLast)
            #expect(try await router.traffic(of: tfRollout) == TrafficReading(canaryWeight: 0, headerRoute: nil))
            _ = try await router.apply(stage, to: tfRollout)
            let names = Self.virtualService(double)["spec"]?["http"]?.array?.map { $0["name"]?.string }
            #expect(names == ["admin", "coalmine-tf-model-service-header", "primary"])

            // Moved after the route again, then a rollback: it goes all the same.
            double.edit("virtualservices", namespace: "ml", name: "tf-model-route", Self.movingSecondRouteLast)
            _ = try await router.apply(WeightSplit(run: 1, canary: 0), to: tfRollout)
            #expect(Self.virtualService(double)["spec"]?["http"]?.array?.map { $0["name"]?.string } == ["admin", "primary"])
        }
    }

    @Test func onTheGatewayAPITheHeaderRuleSendsToTheCanaryServiceAndGoesOnPromotion() async throws {
        let double = KubernetesAPIDouble()
        try double.put("httproutes", namespace: "ml", name: "ranker-route", json: httpRoute)
        let original = double.object("httproutes", namespace: "ml", name: "ranker-route")!
        try await withRouter(double) { router in
            _ = try await router.apply(WeightSplit(run: 1, canary: 0, headerRoute: Self.bucket), to: rankerRollout)
            let stored = double.object("httproutes", namespace: "ml", name: "ranker-route")!
            let rules = try #require(stored["spec"]?["rules"]?.array)
            #expect(rules.map { $0["name"]?.string } == ["health", "coalmine-ranker-header", "main"])
            #expect(
                rules[1]
                    == decodeJSON(
                        """
                        {"name": "coalmine-ranker-header",
                         "matches": [{"path": {"type": "PathPrefix", "value": "/"},
                                      "headers": [{"type": "RegularExpression", "name": "x-user-bucket", "value": "^[0-4]$"}]}],
                         "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "x-canary", "value": "maybe"}]}}],
                         "backendRefs": [{"name": "ranker-v2", "port": 8080}],
                         "timeouts": {"request": "5s"}}
                        """))
            #expect(try await router.traffic(of: rankerRollout) == TrafficReading(canaryWeight: 0, headerRoute: Self.bucket))
            _ = try await router.apply(WeightSplit(run: 1, canary: 50, headerRoute: Self.bucket), to: rankerRollout)
            #expect(try await router.traffic(of: rankerRollout) == TrafficReading(canaryWeight: 50, headerRoute: Self.bucket))
            _ = try await router.apply(WeightSplit(run: 1, canary: 100), to: rankerRollout)
            let promoted = double.object("httproutes", namespace: "ml", name: "ranker-route")!
            #expect(promoted["spec"]?["rules"]?.array?.map { $0["name"]?.string } == ["health", "main"])
            #expect(
                Self.withoutCoalmine(promoted, entries: "rules", destinations: "backendRefs", headerIndex: nil)
                    == Self.withoutCoalmine(original, entries: "rules", destinations: "backendRefs", headerIndex: nil))
        }
    }

    /// HTTPRoute CRDs without rule names (Gateway API v1.1) drop `name` from what they store. Coalmine's rule is
    /// then found by its shape and the rollout's configured header: read back, left alone by weight changes,
    /// removed on promotion; never added twice.
    @Test func whereTheServerDropsRuleNamesTheRuleIsFoundByItsShapeAndNeverAddedTwice() async throws {
        let double = KubernetesAPIDouble()
        double.pruneHTTPRouteRuleNames()
        try double.put("httproutes", namespace: "ml", name: "ranker-route", json: httpRoute)
        var rollout = rankerRollout
        rollout.policy.headerStage = HeaderStage(match: Self.internalUsers)
        let configured = rollout
        @Sendable func rules() -> [JSONValue] {
            double.object("httproutes", namespace: "ml", name: "ranker-route")?["spec"]?["rules"]?.array ?? []
        }
        try await withRouter(double) { router in
            let stage = WeightSplit(run: 1, canary: 0, headerRoute: Self.internalUsers)
            #expect(try await router.apply(stage, to: configured) == stage)
            #expect(rules().count == 3)
            #expect(rules()[1]["name"] == nil, "the server dropped it")
            #expect(try await router.traffic(of: configured) == TrafficReading(canaryWeight: 0, headerRoute: Self.internalUsers))
            _ = try await router.apply(stage, to: configured)
            _ = try await router.apply(WeightSplit(run: 1, canary: 10, headerRoute: Self.internalUsers), to: configured)
            #expect(rules().count == 3, "found again, not added again")
            _ = try await router.apply(WeightSplit(run: 1, canary: 100), to: configured)
            #expect(rules().count == 2)
            #expect(rules().allSatisfy { $0["backendRefs"]?.array?.count == 2 || $0["matches"]?[0]?["path"]?["value"] == .string("/healthz") })
        }
    }

    /// The Gateway API picks the most specific match wherever a rule stands: after the rollout's rule, Coalmine's
    /// is still in force.
    @Test func defaultsTheServerAddsANamesCaseAndTheRulesPlaceAreNotDrift() throws {
        let object = decodeJSON(
            """
            {"metadata": {"resourceVersion": "7"}, "spec": {"rules": [
              {"backendRefs": [{"name": "ranker-v1", "weight": 100}, {"name": "ranker-v2", "weight": 0}]},
              {"name": "coalmine-ranker-header",
               "matches": [{"path": {"type": "PathPrefix", "value": "/"},
                            "headers": [{"name": "X-User-Group", "value": "internal"}]}],
               "backendRefs": [{"group": "", "kind": "Service", "name": "ranker-v2", "weight": 1}]}]}}
            """)
        #expect(try RouteLayout.gatewayAPI.entryIndex(in: object, for: rankerRollout) == 0)
        let inForce = decodeJSON(
            """
            {"metadata": {"resourceVersion": "7"}, "spec": {"rules": [
              {"name": "coalmine-ranker-header",
               "matches": [{"path": {"type": "PathPrefix", "value": "/"},
                            "headers": [{"name": "X-User-Group", "value": "internal"}]}],
               "backendRefs": [{"group": "", "kind": "Service", "name": "ranker-v2", "weight": 1}]},
              {"backendRefs": [{"name": "ranker-v1", "weight": 100}, {"name": "ranker-v2", "weight": 0}]}]}}
            """)
        #expect(
            try RouteLayout.gatewayAPI.headerMatch(in: inForce, for: rankerRollout) == Self.internalUsers,
            "the server's defaults (type Exact, group, kind, weight 1) and a name's case are not drift")
        #expect(try RouteLayout.gatewayAPI.headerMatch(in: object, for: rankerRollout) == Self.internalUsers)
    }
}
