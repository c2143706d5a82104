import CoalmineCore
import CoalmineKubernetes
import CoalmineTestSupport
import Foundation
import NIOSSL
import Testing

/// kubeconfig variants and in-cluster files, over real TLS with a throwaway CA, against the API double.
@Suite struct ConnectionTests {
    static let vsPath = "/apis/networking.istio.io/v1/namespaces/ml/virtualservices/tf-model-route"

    func serverTLS(_ certificates: TestCertificates, requireClientCertificate: Bool = false, namedOnly: Bool = false) throws
        -> TLSConfiguration
    {
        let certificate = namedOnly ? certificates.namedServerCertificatePath : certificates.serverCertificatePath
        let key = namedOnly ? certificates.namedServerKeyPath : certificates.serverKeyPath
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        if requireClientCertificate {
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificates.caPath))
        }
        return tls
    }

    /// Reads the example VirtualService through a client built from `kubeconfig` (written into the workspace).
    func readThrough(kubeconfig: String, workspace: TestWorkspace, context: String? = nil) async throws -> JSONValue {
        let path = "\(workspace.directory)/kubeconfig"
        try kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        let endpoint = try KubeconfigLoader.endpoint(paths: [path], context: context)
        return try await withKubernetesClient(endpoint, timeout: .seconds(5)) { try await $0.get(Self.vsPath) }
    }

    func double() throws -> KubernetesAPIDouble {
        let double = KubernetesAPIDouble(tokens: ["kubeconfig-token"])
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        return double
    }

    func kubeconfig(server: String, cluster: String, user: String, extraUsers: String = "") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: test
        contexts:
          - name: test
            context: { cluster: test, user: test, namespace: ml }
        clusters:
          - name: test
            cluster:
              server: \(server)
        \(cluster)
        users:
          - name: test
            user:
        \(user)
        \(extraUsers)
        """
    }

    @Test func certificateAuthorityDataMakesTheServerTrusted() async throws {
        let workspace = try TestWorkspace()
        let certificates = try TestCertificates(in: workspace.directory)
        let ca = Data(try certificates.read(certificates.caPath)).base64EncodedString()
        try await double().run(tls: serverTLS(certificates)) { base in
            let object = try await readThrough(
                kubeconfig: kubeconfig(
                    server: base, cluster: "      certificate-authority-data: \(ca)", user: "      token: kubeconfig-token"),
                workspace: workspace)
            #expect(object["metadata"]?["name"]?.string == "tf-model-route")
        }
    }

    @Test func aServerSignedByAnotherCAIsRefused() async throws {
        let workspace = try TestWorkspace()
        let certificates = try TestCertificates(in: workspace.directory)
        let wrong = Data(try certificates.read(certificates.otherCAPath)).base64EncodedString()
        try await double().run(tls: serverTLS(certificates)) { base in
            await #expect(throws: (any Error).self) {
                _ = try await readThrough(
                    kubeconfig: kubeconfig(
                        server: base, cluster: "      certificate-authority-data: \(wrong)", user: "      token: kubeconfig-token"),
                    workspace: workspace)
            }
        }
    }

    @Test func tlsServerNameVerifiesAgainstTheGivenName() async throws {
        let workspace = try TestWorkspace()
        let certificates = try TestCertificates(in: workspace.directory)
        try await double().run(tls: serverTLS(certificates, namedOnly: true)) { base in
            // The certificate names kubernetes.test only, not the address the server is reached at.
            let byName = base
            let cluster = "      certificate-authority: ca.crt"
            await #expect(throws: (any Error).self) {
                _ = try await readThrough(
                    kubeconfig: kubeconfig(server: byName, cluster: cluster, user: "      token: kubeconfig-token"),
                    workspace: workspace)
            }
            let object = try await readThrough(
                kubeconfig: kubeconfig(
                    server: byName, cluster: cluster + "\n      tls-server-name: kubernetes.test", user: "      token: kubeconfig-token"),
                workspace: workspace)
            #expect(object["kind"]?.string == "VirtualService")
        }
    }

    @Test func clientCertificatesFromRelativeFilesAuthenticate() async throws {
        let workspace = try TestWorkspace()
        let certificates = try TestCertificates(in: workspace.directory)
        try await double().run(tls: serverTLS(certificates, requireClientCertificate: true)) { base in
            let object = try await readThrough(
                kubeconfig: kubeconfig(
                    server: base, cluster: "      certificate-authority: ca.crt",
                    user: "      client-certificate: client.crt\n      client-key: client.key"),
                workspace: workspace)
            #expect(object["kind"]?.string == "VirtualService")
            await #expect(throws: (any Error).self, "without a client certificate the handshake fails") {
                _ = try await readThrough(
                    kubeconfig: kubeconfig(server: base, cluster: "      certificate-authority: ca.crt", user: "      token: x"),
                    workspace: workspace)
            }
        }
    }

    @Test func severalKubeconfigFilesMergeFirstOneWinning() throws {
        let workspace = try TestWorkspace()
        try """
            current-context: prod
            contexts: [{ name: prod, context: { cluster: prod, user: alice, namespace: ml } }]
            users: [{ name: alice, user: { tokenFile: tokens/alice } }]
            """.write(toFile: "\(workspace.directory)/first", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(workspace.directory)/other", withIntermediateDirectories: true)
        try """
            current-context: staging
            clusters: [{ name: prod, cluster: { server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true } }]
            users: [{ name: alice, user: { token: loses } }]
            """.write(toFile: "\(workspace.directory)/other/second", atomically: true, encoding: .utf8)
        let paths = KubeconfigLoader.paths(
            configured: nil, environment: ["KUBECONFIG": "\(workspace.directory)/first:\(workspace.directory)/other/second"])
        let endpoint = try KubeconfigLoader.endpoint(paths: paths, context: nil)
        #expect(endpoint.server == "https://10.0.0.1:6443")
        #expect(endpoint.insecureSkipTLSVerify)
        #expect(endpoint.namespace == "ml")
        guard case .file(let path, _)? = endpoint.credentials.bearer else {
            Issue.record("the first file's user should win")
            return
        }
        #expect(path == "\(workspace.directory)/tokens/alice", "relative to the file that names it")
        #expect(throws: KubeconfigLoader.Failure.self) { try KubeconfigLoader.endpoint(paths: paths, context: "dev") }
    }

    @Test func anExecPluginIsRunOnceUntilItsCredentialExpiresAndAgainAfterA401() async throws {
        let workspace = try TestWorkspace()
        let directory = workspace.directory
        try """
            #!/bin/sh
            n=$(( $(cat "$STATE/count" 2>/dev/null || echo 0) + 1 ))
            echo $n > "$STATE/count"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$STATE/info"
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "$n"
            """.write(toFile: "\(directory)/plugin.sh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(directory)/plugin.sh")
        let double = KubernetesAPIDouble(tokens: ["exec-token-1"])
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await double.run { base in
            try kubeconfig(
                server: base, cluster: "",
                user: """
                      exec:
                        apiVersion: client.authentication.k8s.io/v1
                        command: ./plugin.sh
                        env: [{ name: STATE, value: "\(directory)" }]
                        provideClusterInfo: true
                """
            ).write(toFile: "\(directory)/kubeconfig", atomically: true, encoding: .utf8)
            try await withKubernetesClient(try KubeconfigLoader.endpoint(paths: ["\(directory)/kubeconfig"], context: nil)) { client in
                _ = try await client.get(Self.vsPath)
                _ = try await client.get(Self.vsPath)
                #expect(try String(contentsOfFile: "\(directory)/count", encoding: .utf8) == "1\n", "cached until it expires")
                double.acceptOnly(tokens: ["exec-token-2"])
                _ = try await client.get(Self.vsPath)
                #expect(try String(contentsOfFile: "\(directory)/count", encoding: .utf8) == "2\n", "run again after a 401")
            }
        }
        let info = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/info")))
        #expect(info["apiVersion"]?.string == "client.authentication.k8s.io/v1")
        #expect(info["kind"]?.string == "ExecCredential")
        #expect(info["spec"]?["cluster"]?["server"]?.string?.hasPrefix("http://127.0.0.1:") == true)
    }

    @Test func inClusterReadsTheServiceAccountAndFollowsATokenRotation() async throws {
        let workspace = try TestWorkspace()
        let certificates = try TestCertificates(in: workspace.directory)
        let account = "\(workspace.directory)/serviceaccount"
        try FileManager.default.createDirectory(atPath: account, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: certificates.caPath, toPath: "\(account)/ca.crt")
        try "ml\n".write(toFile: "\(account)/namespace", atomically: true, encoding: .utf8)
        try "projected-1".write(toFile: "\(account)/token", atomically: true, encoding: .utf8)
        let double = KubernetesAPIDouble(tokens: ["projected-1"])
        try double.put("virtualservices", namespace: "ml", name: "tf-model-route", json: richVirtualService)
        try await double.run(tls: serverTLS(certificates)) { base in
            let port = String(base.split(separator: ":").last!)
            let endpoint = try KubeconfigLoader.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port], directory: account)
            #expect(endpoint.namespace == "ml")
            try await withKubernetesClient(endpoint) { client in
                _ = try await client.get(Self.vsPath)
                // The kubelet rotates the projected token; the API server stops taking the old one.
                try "projected-2".write(toFile: "\(account)/token", atomically: true, encoding: .utf8)
                double.acceptOnly(tokens: ["projected-2"])
                _ = try await client.get(Self.vsPath)
            }
        }
        #expect(double.requests.map(\.authorization).suffix(2) == ["Bearer projected-1", "Bearer projected-2"])
    }

    @Test func anAPIAnswerWhoseBodyNeverEndsIsCutOffAtTheRequestTimeout() async throws {
        let double = try double()
        double.stall(next: 1)
        try await double.run { base in
            let endpoint = ClusterEndpoint(server: base, credentials: CredentialSource(bearer: .token("kubeconfig-token")))
            try await withKubernetesClient(endpoint, timeout: .milliseconds(500)) { client in
                let started = ContinuousClock.now
                await #expect {
                    _ = try await client.get(Self.vsPath)
                } throws: { error in
                    "\(error)".contains("no complete answer within 500ms")
                }
                // The body never comes: any bound shows the deadline ended the wait (ten seconds: room for a
                // saturated start of the test run).
                #expect(started.duration(to: .now) < .seconds(10))
                // A saturated test run can let one 500 ms deadline pass on its own; a client the cut-off broke would
                // fail every try.
                var next: JSONValue?
                for _ in 0..<3 where next == nil { next = try? await client.get(Self.vsPath) }
                #expect(next?["metadata"]?["name"]?.string == "tf-model-route", "the next call works")
            }
        }
    }
}
