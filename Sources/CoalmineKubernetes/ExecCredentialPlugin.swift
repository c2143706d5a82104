import CoalmineCore
import Foundation

/// A kubeconfig `exec` credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`): a command that prints
/// an `ExecCredential` with a token or a client certificate, and when it expires.
public struct ExecCredentialPlugin: Sendable {
    public var apiVersion: String
    public var command: String
    public var arguments: [String]
    public var environment: [String: String]
    /// Cluster information passed in `KUBERNETES_EXEC_INFO` when the kubeconfig asks for it.
    public var clusterServer: String?

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

    /// Runs the command and reads its `ExecCredential`.
    public func run(timeout: Duration = .seconds(30)) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.contains("/") ? command : "/usr/bin/env")
        process.arguments = command.contains("/") ? arguments : [command] + arguments
        var spec: [String: Any] = ["interactive": false]
        if let clusterServer { spec["cluster"] = ["server": clusterServer] }
        let info: [String: Any] = ["apiVersion": apiVersion, "kind": "ExecCredential", "spec": spec]
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["KUBERNETES_EXEC_INFO"] = String(decoding: try JSONSerialization.data(withJSONObject: info), as: UTF8.self)
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run exec plugin \(command): \(error.localizedDescription)")
        }
        // Plugins answer in well under a second; the watchdog only ends one that hangs.
        // `terminate()` just signals the child process, which is safe from any thread.
        nonisolated(unsafe) let running = process
        let watchdog = DispatchWorkItem { if running.isRunning { running.terminate() } }
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .milliseconds(Int(timeout.wholeMilliseconds)), execute: watchdog)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal {
            throw Failure(description: "exec plugin \(command) did not answer within \(DurationText.format(timeout))")
        }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "exec plugin \(command) exited \(process.terminationStatus): \(message.prefix(500))")
        }
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
