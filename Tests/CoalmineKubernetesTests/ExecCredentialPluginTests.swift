import CoalmineCore
import CoalmineTestSupport
import Foundation
import Testing

@testable import CoalmineKubernetes

/// Exec credential plugins are other people's programs: chatty, slow or hung. None of that may block a thread or
/// hang a request.
@Suite struct ExecCredentialPluginTests {
    static let credential =
        #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}"#

    func plugin(_ script: String, in workspace: TestWorkspace, environment: [String: String] = [:]) throws
        -> ExecCredentialPlugin
    {
        let path = "\(workspace.directory)/plugin.sh"
        try "#!/bin/sh\n\(script)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return ExecCredentialPlugin(
            apiVersion: "client.authentication.k8s.io/v1", command: path, environment: environment)
    }

    @Test func aPluginThatWritesAMegabyteToStandardErrorStillGivesItsToken() async throws {
        let workspace = try TestWorkspace()
        // 1 MiB of progress chatter before the answer: far more than a pipe buffers, so a reader that waits for
        // standard output alone would hang with the plugin blocked on its full error pipe.
        let chatty = try plugin(
            "head -c 1048576 /dev/zero >&2\nprintf '%s' '\(Self.credential)'", in: workspace)
        let output = try await chatty.run(timeout: .seconds(20))
        #expect(output.token == "from-plugin")
    }

    @Test func aPluginThatNeverExitsIsKilledAtItsDeadline() async throws {
        let workspace = try TestWorkspace()
        let hung = try plugin("echo $$ > \"\(workspace.directory)/pid\"\nexec sleep 600", in: workspace)
        let started = ContinuousClock.now
        do {
            _ = try await hung.run(timeout: .milliseconds(500))
            Issue.record("a plugin that never answers gave a credential")
        } catch let failure as ExecCredentialPlugin.Failure {
            #expect(failure.description.contains("did not answer"))
            #expect(failure.description.contains("it was killed"))
        }
        // The plugin sleeps 600 s: any bound well under that shows the deadline ended the wait.
        #expect(started.duration(to: .now) < .seconds(10), "the deadline, not the plugin, decides when the wait ends")
        let pid = try #require(Int32(try String(contentsOfFile: "\(workspace.directory)/pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "the plugin process is gone")
    }

    @Test func aHungPluginCostsARequestTheRequestTimeoutNotThePluginsOwnDeadline() async throws {
        let workspace = try TestWorkspace()
        let hung = try plugin("exec sleep 600", in: workspace)
        // No API server needs to listen: the plugin runs before any connection is made.
        let client = try KubernetesClient(
            endpoint: ClusterEndpoint(server: "http://127.0.0.1:9", credentials: CredentialSource(bearer: .exec(hung))),
            timeout: .seconds(1))
        let started = ContinuousClock.now
        await #expect {
            _ = try await client.get("/api/v1/namespaces/ml")
        } throws: { error in
            "\(error)".contains("did not answer")
        }
        try await client.shutdown()
        // Without one deadline for the whole request the plugin had its own 30 s.
        #expect(started.duration(to: .now) < .seconds(10), "kubernetes.requestTimeout (1 s) bounds the plugin too")
    }

    @Test func aFailingPluginSaysHowItEndedAndWhatItPrinted() async throws {
        let workspace = try TestWorkspace()
        let failing = try plugin("echo 'token expired; run gcloud auth login' >&2\nexit 3", in: workspace)
        await #expect {
            try await failing.run()
        } throws: { error in
            "\(error)".contains("exited(3)") && "\(error)".contains("token expired; run gcloud auth login")
        }
    }

    @Test func thePluginSeesItsOwnVariablesButNotCoalminesSecrets() throws {
        var plugin = ExecCredentialPlugin(
            apiVersion: "client.authentication.k8s.io/v1", command: "/bin/true", environment: ["AWS_PROFILE": "ml"],
            clusterServer: "https://10.0.0.1")
        plugin.withheldVariables = ["SLACK_WEBHOOK_URL"]
        let environment = try plugin.processEnvironment(
            inherited: ["PATH": "/usr/bin", "HOME": "/root", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/s3cret"])
        let names = Dictionary(uniqueKeysWithValues: environment.map { ($0.key.rawValue, $0.value) })
        #expect(names["PATH"] == "/usr/bin")
        #expect(names["HOME"] == "/root")
        #expect(names["AWS_PROFILE"] == "ml")
        #expect(names["SLACK_WEBHOOK_URL"] == nil, "a chat webhook URL is Coalmine's secret, not the plugin's")
        let info = try JSONDecoder().decode(JSONValue.self, from: Data(try #require(names["KUBERNETES_EXEC_INFO"]).utf8))
        #expect(info["kind"]?.string == "ExecCredential")
        #expect(info["spec"]?["cluster"]?["server"]?.string == "https://10.0.0.1")
    }
}
