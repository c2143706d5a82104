import AsyncHTTPClient
import CoalmineCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A thin client of the Kubernetes API: GET an object, PATCH it with a JSON Patch. Every call has one deadline
/// covering connect, headers and body, is authenticated with the credentials of the moment, and is retried once after a 401 with fresh ones.
public final class KubernetesClient: Sendable {
    private let baseURL: String
    private let http: HTTPClient
    private let tls: TLSConfiguration?
    private let credentials: CredentialCache
    private let timeout: Duration

    /// Builds a client for `endpoint`. It owns an HTTP client: call `shutdown()` when done.
    public init(
        endpoint: ClusterEndpoint, timeout: Duration = .seconds(10), clock: @escaping @Sendable () -> Timestamp = KubernetesClient.wallClock,
        logger: Logger = Logger(label: "coalmine.kubernetes")
    ) throws {
        guard var url = URLComponents(string: endpoint.server), let host = url.host,
            url.scheme == "https" || url.scheme == "http"
        else {
            throw KubernetesError(code: 0, reason: "BadConfig", message: "server '\(endpoint.server)' is not an http(s) URL")
        }
        var configuration = HTTPClient.Configuration()
        // tls-server-name: connect to the real host, but speak TLS to (and verify) the given name.
        if let serverName = endpoint.tlsServerName {
            configuration.dnsOverride = [serverName: host]
            url.host = serverName
        }
        baseURL = url.string!.hasSuffix("/") ? String(url.string!.dropLast()) : url.string!
        if url.scheme == "https" {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let authority = endpoint.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(authority))
            }
            if endpoint.insecureSkipTLSVerify {
                logger.warning(
                    "insecure-skip-tls-verify is on: the API server's certificate is NOT checked; anyone on the path can impersonate it",
                    metadata: ["server": "\(endpoint.server)"])
                tls.certificateVerification = .none
            }
            self.tls = tls
        } else {
            tls = nil
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        credentials = CredentialCache(endpoint.credentials, clock: clock)
        self.timeout = timeout
    }

    /// Credentials expire in wall-clock time.
    @Sendable public static func wallClock() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    public func get(_ path: String) async throws -> JSONValue {
        try await send(.GET, path, body: nil, contentType: nil)
    }

    public func patch(_ path: String, _ operations: [JSONPatchOperation]) async throws -> JSONValue {
        try await send(.PATCH, path, body: JSONTextWriter.document(operations), contentType: "application/json-patch+json")
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String?) async throws -> JSONValue {
        // One deadline for the whole call: credentials (an exec plugin may hang), connect, headers and body.
        let deadline = ContinuousClock.now + timeout
        func remaining() throws -> Duration {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw DeadlineExceeded(timeout: timeout) }
            return left
        }
        var refreshed = false
        while true {
            let material = try await credentials.current(timeout: try remaining())
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            if let token = material.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            if var tls {
                if let certificate = material.clientCertificate {
                    tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate.certificate).map { .certificate($0) }
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: certificate.key, format: .pem))
                }
                request.tlsConfiguration = tls
            }
            let status: HTTPResponseStatus
            let data: Data
            do {
                (status, data) = try await withDeadline(try remaining()) { [http, request] in
                    let response = try await http.execute(request, deadline: .distantFuture)
                    let bytes = try await response.body.collect(upTo: 16 << 20)
                    return (response.status, Data(bytes.readableBytesView))
                }
            } catch is DeadlineExceeded {
                // Named by the whole call's deadline, which is what the user set, not by what was left of it.
                throw DeadlineExceeded(timeout: timeout)
            }
            if status == .unauthorized, !refreshed {
                // Tokens rotate and exec credentials expire: try once more with fresh ones.
                await credentials.invalidate()
                refreshed = true
                continue
            }
            guard (200..<300).contains(status.code) else {
                let details = try? JSONValue(parsing: data)
                throw KubernetesError(
                    code: Int(status.code), reason: details?["reason"]?.string,
                    message: details?["message"]?.string ?? String(decoding: data.prefix(500), as: UTF8.self))
            }
            return try JSONValue(parsing: data)
        }
    }
}
