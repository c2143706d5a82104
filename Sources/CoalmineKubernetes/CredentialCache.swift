import CoalmineCore
import Foundation

/// The credentials of the moment: static ones as given, a token file re-read when old, an exec plugin re-run
/// when its credential expires. Any 401 invalidates what is cached, so rotated tokens are picked up at once.
actor CredentialCache {
    struct Material: Sendable {
        var token: String?
        var clientCertificate: (certificate: [UInt8], key: [UInt8])?
    }

    private let source: CredentialSource
    private let clock: @Sendable () -> Timestamp
    private var cached: Material?
    private var validUntil: Timestamp?

    init(_ source: CredentialSource, clock: @escaping @Sendable () -> Timestamp) {
        self.source = source
        self.clock = clock
    }

    /// `timeout`: what is left of the request's deadline. An exec plugin gets no more than that, so a hung one
    /// costs a request what `kubernetes.requestTimeout` says and no more.
    func current(timeout: Duration) async throws -> Material {
        if let cached, validUntil.map({ clock() < $0 }) ?? true { return cached }
        var material = Material(token: nil, clientCertificate: source.clientCertificate)
        validUntil = nil
        switch source.bearer {
        case nil:
            break
        case .token(let token)?:
            material.token = token
        case .file(let path, let maxAge)?:
            material.token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            validUntil = clock() + maxAge
        case .exec(let plugin)?:
            let output = try await plugin.run(timeout: timeout)
            material.token = output.token
            if let certificate = output.clientCertificatePEM, let key = output.clientKeyPEM {
                material.clientCertificate = (certificate, key)
            }
            validUntil = output.expiresAt
        }
        cached = material
        return material
    }

    /// After a 401: whatever is cached was refused.
    func invalidate() {
        cached = nil
    }
}
