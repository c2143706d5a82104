import CoalmineCore
import CoalmineEngine
import CoalmineKubernetes
import Foundation
import Testing
import Yams

/// The manifests in deploy/ are what users apply: valid YAML with the fields the API expects, and RBAC that grants
/// nothing beyond reading and patching weights.
@Suite struct ManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func documents(in folder: String) throws -> [[String: Any]] {
        let directory = "\(root)/deploy/\(folder)"
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().filter { $0.hasSuffix(".yaml") }
            .flatMap { name in
                try Yams.load_all(yaml: String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)).compactMap {
                    $0 as? [String: Any]
                }
            }
    }

    static func all() throws -> [[String: Any]] {
        try documents(in: "kubernetes") + documents(in: "istio")
    }

    @Test func everyManifestHasTheFieldsTheAPIExpects() throws {
        let manifests = try Self.all()
        let kinds = Set(manifests.compactMap { $0["kind"] as? String })
        #expect(
            kinds == [
                "Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
                "Deployment", "PersistentVolumeClaim", "Service", "DestinationRule", "VirtualService", "NetworkPolicy",
            ])
        for manifest in manifests {
            let kind = manifest["kind"] as? String ?? "?"
            #expect((manifest["apiVersion"] as? String)?.isEmpty == false, "\(kind) has an apiVersion")
            #expect(((manifest["metadata"] as? [String: Any])?["name"] as? String)?.isEmpty == false, "\(kind) has a name")
        }
    }

    @Test func rbacGrantsOnlyReadingAndPatchingRoutes() throws {
        let rules = try Self.all().filter { ["Role", "ClusterRole"].contains($0["kind"] as? String) }
            .flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(!rules.isEmpty)
        for rule in rules {
            #expect(Set(rule["verbs"] as? [String] ?? []).isSubset(of: ["get", "list", "watch", "patch"]))
            #expect(Set(rule["resources"] as? [String] ?? []).isSubset(of: ["virtualservices", "httproutes"]))
            #expect(Set(rule["apiGroups"] as? [String] ?? []).isSubset(of: ["networking.istio.io", "gateway.networking.k8s.io"]))
        }
    }

    @Test func theNetworkPolicyAdmitsOnlyLabelledNamespacesAndTheEgressCoalmineNeeds() throws {
        let policy = try #require(try Self.all().first { $0["kind"] as? String == "NetworkPolicy" })
        let spec = policy["spec"] as? [String: Any] ?? [:]
        #expect(spec["policyTypes"] as? [String] == ["Ingress", "Egress"])
        #expect((spec["podSelector"] as? [String: Any])?["matchLabels"] as? [String: String] == ["app.kubernetes.io/name": "coalmine"])
        let ingress = spec["ingress"] as? [[String: Any]] ?? []
        let admitted = ingress.flatMap { $0["from"] as? [[String: Any]] ?? [] }
            .compactMap { ($0["namespaceSelector"] as? [String: Any])?["matchLabels"] as? [String: String] }
        #expect(admitted == [["coalmine.dev/alertmanager": "true"], ["coalmine.dev/ingress": "true"], ["coalmine.dev/prometheus": "true"]])
        for rule in ingress {
            #expect(rule["from"] != nil, "no ingress rule is open to every source")
            #expect((rule["ports"] as? [[String: Any]])?.map { $0["port"] as? Int } == [9095])
        }
        let egressPorts = Set((spec["egress"] as? [[String: Any]] ?? []).flatMap { $0["ports"] as? [[String: Any]] ?? [] }
            .compactMap { $0["port"] as? Int })
        #expect(egressPorts == [53, 443, 6443, 5432])
    }

    @Test func theGVisorOverlayPatchesOnlyTheRuntimeClass() throws {
        let overlay = try Self.documents(in: "gvisor")
        let runtimeClass = try #require(overlay.first { $0["kind"] as? String == "RuntimeClass" })
        #expect(runtimeClass["handler"] as? String == "runsc")
        let patch = try Yams.load(yaml: String(contentsOfFile: "\(Self.root)/deploy/gvisor/deployment-patch.yaml", encoding: .utf8))
        let pod = (((patch as? [String: Any])?["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
        #expect(pod as? [String: String] == ["runtimeClassName": "gvisor"])
    }

    @Test func theDeploymentRunsLockedDownWithHealthProbes() throws {
        let deployment = try #require(try Self.all().first { $0["kind"] as? String == "Deployment" })
        let pod = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any] ?? [:]
        let podSecurity = pod["securityContext"] as? [String: Any] ?? [:]
        #expect(podSecurity["runAsNonRoot"] as? Bool == true)
        #expect((podSecurity["seccompProfile"] as? [String: Any])?["type"] as? String == "RuntimeDefault")
        let container = (pod["containers"] as? [[String: Any]])?.first ?? [:]
        let security = container["securityContext"] as? [String: Any] ?? [:]
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect((security["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"])
        #expect(((container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String == "/healthz")
        #expect(((container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String == "/readyz")
        #expect(container["resources"] != nil)
    }

    @Test func theConfigMapHoldsAValidConfigAndTheExampleRouteFitsTheExampleRollout() throws {
        let configMap = try #require(try Self.all().first { $0["kind"] as? String == "ConfigMap" })
        let text = try #require((configMap["data"] as? [String: Any])?["coalmine.yaml"] as? String)
        let config = try ConfigLoader.parse(text)
        #expect(config.kubernetes.mode == .inCluster)
        let shipped = try ConfigLoader.load(path: "\(Self.root)/config/coalmine.yaml")
        let virtualService = try #require(try Self.all().first { $0["kind"] as? String == "VirtualService" })
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: virtualService))
        for rollout in [config.rollouts[0], shipped.rollouts[0]] {
            #expect(try RouteLayout.istio.entryIndex(in: json, for: rollout) == 0)
        }
    }

    @Test func theReplicaSetRunsTwoPodsApartWithADisruptionBudgetAndSharedSecrets() throws {
        let manifests = try Self.documents(in: "kubernetes-replicas")
        #expect(
            Set(manifests.compactMap { $0["kind"] as? String })
                == ["Deployment", "PodDisruptionBudget", "ConfigMap", "Secret", "NetworkPolicy"])
        let deployment = try #require(manifests.first { $0["kind"] as? String == "Deployment" })
        let spec = deployment["spec"] as? [String: Any] ?? [:]
        #expect((spec["replicas"] as? Int ?? 0) >= 2)
        #expect(((spec["strategy"] as? [String: Any])?["rollingUpdate"] as? [String: Any])?["maxUnavailable"] as? Int == 0)
        let pod = (spec["template"] as? [String: Any])?["spec"] as? [String: Any] ?? [:]
        let antiAffinity = (pod["affinity"] as? [String: Any])?["podAntiAffinity"] as? [String: Any] ?? [:]
        let required = antiAffinity["requiredDuringSchedulingIgnoredDuringExecution"] as? [[String: Any]] ?? []
        #expect(required.map { $0["topologyKey"] as? String } == ["kubernetes.io/hostname"], "never two replicas on one node")
        #expect(!manifests.contains { $0["kind"] as? String == "PersistentVolumeClaim" }, "no local journal")

        let budget = try #require(manifests.first { $0["kind"] as? String == "PodDisruptionBudget" })
        let budgetSpec = budget["spec"] as? [String: Any] ?? [:]
        #expect(budgetSpec["minAvailable"] as? Int == 1)
        #expect(
            (budgetSpec["selector"] as? [String: Any])?["matchLabels"] as? [String: String]
                == ((spec["selector"] as? [String: Any])?["matchLabels"] as? [String: String]))

        // Every file the config reads is on a read-only Secret mount: nothing is generated per pod, so the replicas
        // hold the same tokens and keys.
        let configMap = try #require(manifests.first { $0["kind"] as? String == "ConfigMap" })
        let config = try ConfigLoader.parse(try #require((configMap["data"] as? [String: Any])?["coalmine.yaml"] as? String))
        let postgres = try #require(config.store.postgres)
        #expect(postgres.sslMode == .verifyFull)
        let container = (pod["containers"] as? [[String: Any]])?.first ?? [:]
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? [])
        let secretVolumes = Set((pod["volumes"] as? [[String: Any]] ?? []).filter { $0["secret"] != nil }.compactMap { $0["name"] as? String })
        let secretFolders = mounts.filter { secretVolumes.contains($0["name"] as? String ?? "") && $0["readOnly"] as? Bool == true }
            .compactMap { $0["mountPath"] as? String }
        var files = [config.server.apiTokenFile, config.server.actions.signingKeyFile, config.store.auditKeyFile]
        files += [postgres.passwordFile, postgres.caFile].compactMap { $0 }
        if case .bearer(let file) = config.server.webhook.auth { files.append(file) }
        for file in files {
            #expect(secretFolders.contains { file.hasPrefix($0 + "/") }, "\(file) comes from a Secret")
        }

        let peers = try #require(manifests.first { $0["kind"] as? String == "NetworkPolicy" })
        let peerSpec = peers["spec"] as? [String: Any] ?? [:]
        let ingress = (peerSpec["ingress"] as? [[String: Any]])?.first ?? [:]
        #expect(
            ((ingress["from"] as? [[String: Any]])?.first?["podSelector"] as? [String: Any])?["matchLabels"] as? [String: String]
                == ["app.kubernetes.io/name": "coalmine"], "replicas reach one another")
        #expect((ingress["ports"] as? [[String: Any]])?.map { $0["port"] as? Int } == [9095])
    }
}
