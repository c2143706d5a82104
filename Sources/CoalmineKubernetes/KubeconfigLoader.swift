import Foundation
import Yams

/// Resolves a kubeconfig context, as kubectl does, to a `ClusterEndpoint`.
///
/// `KUBECONFIG` may list several files: for each cluster, user and context name the first file that defines it
/// wins, and so does the first `current-context`. Relative paths resolve against the directory of the file that
/// holds them.
public enum KubeconfigLoader {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The files to read: the configured path(s), else `$KUBECONFIG`, else `~/.kube/config`.
    public static func paths(configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [String]
    {
        let list = configured ?? environment["KUBECONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let list { return list.split(separator: ":").map(String.init) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["\(home)/.kube/config"]
    }

    private struct Entry {
        var fields: [String: Any]
        var directory: String
    }

    public static func endpoint(paths: [String], context wanted: String?) throws -> ClusterEndpoint {
        var clusters: [String: Entry] = [:]
        var users: [String: Entry] = [:]
        var contexts: [String: Entry] = [:]
        var currentContext: String?
        var read = 0
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let document = try Yams.load(yaml: text) as? [String: Any] else {
                throw Failure(description: "\(path) is not a kubeconfig (not a YAML mapping)")
            }
            read += 1
            let directory = (path as NSString).deletingLastPathComponent
            func collect(_ key: String, _ field: String, into table: inout [String: Entry]) {
                for item in document[key] as? [[String: Any]] ?? [] {
                    guard let name = item["name"] as? String, table[name] == nil else { continue }
                    table[name] = Entry(fields: item[field] as? [String: Any] ?? [:], directory: directory)
                }
            }
            collect("clusters", "cluster", into: &clusters)
            collect("users", "user", into: &users)
            collect("contexts", "context", into: &contexts)
            if currentContext == nil, let current = document["current-context"] as? String, !current.isEmpty {
                currentContext = current
            }
        }
        guard read > 0 else { throw Failure(description: "no kubeconfig found at \(paths.joined(separator: ", "))") }
        guard let contextName = wanted ?? currentContext else {
            throw Failure(description: "the kubeconfig sets no current-context; set kubernetes.context")
        }
        guard let context = contexts[contextName] else {
            throw Failure(
                description: "no context '\(contextName)' in the kubeconfig (has: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let clusterName = context.fields["cluster"] as? String, let cluster = clusters[clusterName] else {
            throw Failure(description: "context '\(contextName)' names no cluster the kubeconfig defines")
        }
        guard let server = cluster.fields["server"] as? String else {
            throw Failure(description: "cluster '\(clusterName)' has no server")
        }
        let user = (context.fields["user"] as? String).flatMap { users[$0] }
        return ClusterEndpoint(
            server: server,
            certificateAuthorityPEM: try pem(cluster, data: "certificate-authority-data", file: "certificate-authority"),
            insecureSkipTLSVerify: cluster.fields["insecure-skip-tls-verify"] as? Bool ?? false,
            tlsServerName: cluster.fields["tls-server-name"] as? String,
            credentials: try user.map { try credentials(of: $0, server: server) } ?? CredentialSource(),
            namespace: context.fields["namespace"] as? String)
    }

    private static func credentials(of user: Entry, server: String) throws -> CredentialSource {
        var source = CredentialSource()
        if let token = user.fields["token"] as? String {
            source.bearer = .token(token)
        } else if let file = user.fields["tokenFile"] as? String {
            source.bearer = .file(path: resolve(file, in: user.directory), maxAge: .seconds(60))
        }
        if let certificate = try pem(user, data: "client-certificate-data", file: "client-certificate"),
            let key = try pem(user, data: "client-key-data", file: "client-key")
        {
            source.clientCertificate = (certificate, key)
        }
        if let exec = user.fields["exec"] as? [String: Any] {
            guard let command = exec["command"] as? String else { throw Failure(description: "exec plugin without command") }
            let apiVersion = exec["apiVersion"] as? String ?? "client.authentication.k8s.io/v1"
            guard ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"].contains(apiVersion) else {
                throw Failure(description: "exec plugin apiVersion \(apiVersion) is not supported (v1 or v1beta1)")
            }
            var environment: [String: String] = [:]
            for variable in exec["env"] as? [[String: Any]] ?? [] {
                if let name = variable["name"] as? String, let value = variable["value"] as? String { environment[name] = value }
            }
            // kubectl resolves a command with a path separator against the kubeconfig's directory.
            let resolved = command.contains("/") ? resolve(command, in: user.directory) : command
            source.bearer = .exec(
                ExecCredentialPlugin(
                    apiVersion: apiVersion, command: resolved, arguments: exec["args"] as? [String] ?? [],
                    environment: environment, clusterServer: (exec["provideClusterInfo"] as? Bool ?? false) ? server : nil))
        }
        return source
    }

    private static func pem(_ entry: Entry, data: String, file: String) throws -> [UInt8]? {
        if let encoded = entry.fields[data] as? String {
            guard let decoded = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw Failure(description: "\(data) is not base64")
            }
            return Array(decoded)
        }
        if let path = entry.fields[file] as? String {
            let resolved = resolve(path, in: entry.directory)
            guard let contents = FileManager.default.contents(atPath: resolved) else {
                throw Failure(description: "cannot read \(file) \(resolved)")
            }
            return Array(contents)
        }
        return nil
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : "\(directory)/\(path)"
    }

    /// The connection of a pod: `KUBERNETES_SERVICE_HOST`/`PORT` and the service account's files.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws -> ClusterEndpoint {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
            throw Failure(description: "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return ClusterEndpoint(
            server: "https://\(bracketed):\(port)",
            certificateAuthorityPEM: FileManager.default.contents(atPath: "\(directory)/ca.crt").map(Array.init),
            credentials: CredentialSource(bearer: .file(path: "\(directory)/token", maxAge: .seconds(60))),
            namespace: (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
