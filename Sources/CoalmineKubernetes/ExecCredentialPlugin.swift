import CoalmineCore
import Foundation
import Subprocess
import SystemPackage

/// A kubeconfig `exec` credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`): a command that prints
/// an `ExecCredential` with a token or a client certificate, and when it expires.
public struct ExecCredentialPlugin: Sendable {
    public var apiVersion: String
    public var command: String
    public var arguments: [String]
    public var environment: [String: String]
    /// Cluster information passed in `KUBERNETES_EXEC_INFO` when the kubeconfig asks for it.
    public var clusterServer: String?
    /// Variables of Coalmine's own environment the plugin must not see: the ones that hold Coalmine's secrets.
    public var withheldVariables: Set<String> = []

    /// More than any credential needs, and far more than a chatty plugin's error output should be.
    static let outputLimit = 4 << 20

    public init(
        apiVersion: String, command: String, arguments: [String] = [], environment: [String: String] = [:],
        clusterServer: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.clusterServer = clusterServer
    }

    public struct Output: Sendable {
        public var token: String?
        public var clientCertificatePEM: [UInt8]?
        public var clientKeyPEM: [UInt8]?
        public var expiresAt: Timestamp?
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What client-go passes: the process environment, the kubeconfig's `env` entries over it, and
    /// `KUBERNETES_EXEC_INFO`; less the variables that hold Coalmine's own secrets.
    func processEnvironment(
        inherited: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> [Environment.Key: String] {
        var spec: [String: Any] = ["interactive": false]
        if let clusterServer { spec["cluster"] = ["server": clusterServer] }
        let info: [String: Any] = ["apiVersion": apiVersion, "kind": "ExecCredential", "spec": spec]
        var variables = inherited.filter { !withheldVariables.contains($0.key) }.merging(environment) { $1 }
        variables["KUBERNETES_EXEC_INFO"] = String(decoding: try JSONSerialization.data(withJSONObject: info), as: UTF8.self)
        return Dictionary(uniqueKeysWithValues: variables.compactMap { name, value in
            Environment.Key(rawValue: name).map { ($0, value) }
        })
    }

    /// Runs the command and reads its `ExecCredential`. Never blocks a thread: the plugin runs as a child process
    /// whose output and error output are read while it runs (a plugin that fills its error pipe cannot stall),
    /// and it is killed at `timeout`.
    public func run(timeout: Duration = .seconds(30)) async throws -> Output {
        let executable: Executable = command.contains("/") ? .path(FilePath(command)) : .name(command)
        let environment = try processEnvironment()
        let run: (status: TerminationStatus, output: [UInt8], error: [UInt8])
        do {
            run = try await withDeadline(timeout) { [arguments] in
                let finished = try await Subprocess.run(
                    executable, arguments: Arguments(arguments), environment: .custom(environment),
                    output: .bytes(limit: Self.outputLimit), error: .bytes(limit: Self.outputLimit))
                return (finished.terminationStatus, finished.standardOutput, finished.standardError)
            }
        } catch let timeout as DeadlineExceeded {
            throw Failure(description: "exec plugin \(command) did not answer: \(timeout); it was killed")
        } catch {
            throw Failure(description: "cannot run exec plugin \(command): \(error)")
        }
        guard run.status.isSuccess else {
            let message = String(decoding: run.error.suffix(500), as: UTF8.self)
            throw Failure(description: "exec plugin \(command) \(run.status): \(message)")
        }
        let output = Data(run.output)
        guard let credential = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
            let status = credential["status"] as? [String: Any]
        else {
            throw Failure(description: "exec plugin \(command) printed no ExecCredential with a status")
        }
        let result = Output(
            token: status["token"] as? String,
            clientCertificatePEM: (status["clientCertificateData"] as? String).map { Array($0.utf8) },
            clientKeyPEM: (status["clientKeyData"] as? String).map { Array($0.utf8) },
            expiresAt: (status["expirationTimestamp"] as? String).flatMap(Timestamp.init(rfc3339:)))
        guard result.token != nil || (result.clientCertificatePEM != nil && result.clientKeyPEM != nil) else {
            throw Failure(description: "exec plugin \(command) gave neither a token nor a client certificate and key")
        }
        return result
    }
}
