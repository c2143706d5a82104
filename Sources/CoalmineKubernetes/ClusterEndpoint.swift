import Foundation

/// Where the API server is and how to trust it and prove who we are: what a kubeconfig context or the
/// in-cluster files resolve to.
public struct ClusterEndpoint: Sendable {
    /// `https://host:port` (or `http://` for local proxies and tests).
    public var server: String
    /// PEM of the CA that signed the server's certificate; nil trusts the system's roots.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The name to verify the server's certificate against (and send as SNI) instead of the URL's host.
    public var tlsServerName: String?
    public var credentials: CredentialSource
    /// The context's or service account's namespace.
    public var namespace: String?

    public init(
        server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil, credentials: CredentialSource = CredentialSource(), namespace: String? = nil
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.credentials = credentials
        self.namespace = namespace
    }
}

/// How requests are authenticated: a bearer token from somewhere, a client certificate, or both.
public struct CredentialSource: Sendable {
    public enum Bearer: Sendable {
        case token(String)
        /// Re-read at least every `maxAge` and after any 401: projected service-account tokens rotate.
        case file(path: String, maxAge: Duration)
        case exec(ExecCredentialPlugin)
    }

    public var bearer: Bearer?
    /// PEM certificate chain and key.
    public var clientCertificate: (certificate: [UInt8], key: [UInt8])?

    public init(bearer: Bearer? = nil, clientCertificate: (certificate: [UInt8], key: [UInt8])? = nil) {
        self.bearer = bearer
        self.clientCertificate = clientCertificate
    }
}
