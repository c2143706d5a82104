import CoalmineCore
import Crypto
import Foundation

/// Signs and verifies action links: `<key id>.<claims>.<signature>`, each part base64url.
///
/// The signature is HMAC-SHA256 over the key id and the claims with the current key. The key id lets keys rotate:
/// links signed by a previous key (`server.actions.previousKeyFiles`) still verify until they expire.
public struct ActionSigner: Sendable {
    struct SigningKey: Sendable {
        let id: String
        let key: SymmetricKey
    }

    private let current: SigningKey
    private let all: [String: SigningKey]
    /// How long a link lives (`server.actions.linkTTL`): links are made to expire then, and a signed expiry
    /// beyond it is not honoured.
    public let linkTTL: Duration

    public init(currentKey: String, previousKeys: [String] = [], linkTTL: Duration = .seconds(12 * 3600)) {
        self.linkTTL = linkTTL
        func make(_ secret: String) -> SigningKey {
            let bytes = Data(secret.utf8)
            // The id names the key without revealing it.
            let id = SHA256.hash(data: Data("coalmine-key-id".utf8) + bytes).prefix(6).map { String(format: "%02x", $0) }
                .joined()
            return SigningKey(id: id, key: SymmetricKey(data: bytes))
        }
        current = make(currentKey)
        var keys = [current.id: current]
        for key in previousKeys.map(make) where keys[key.id] == nil { keys[key.id] = key }
        all = keys
    }

    /// A key of its own for another use of the same secret (`purpose` names it): what it signs can never pass for
    /// a link, nor a link for it. Every replica derives the same.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: current.key))
    }

    public func sign(_ claims: ActionClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Our own plain value type always encodes.
        let payload = Base64URL.encode(try! encoder.encode(claims))
        let signature = Base64URL.encode(Data(mac(current, payload: payload)))
        return "\(current.id).\(payload).\(signature)"
    }

    /// The claims of a genuine, unexpired link, its expiry capped at its issue time plus `linkTTL`.
    public func verify(_ token: String, at now: Timestamp) throws(ActionLinkError) -> ActionClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let signature = Base64URL.decode(parts[2]) else { throw .malformed }
        guard let key = all[parts[0]] else { throw .unknownKey }
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: macInput(key, payload: parts[1]), using: key.key)
        else { throw .badSignature }
        guard let payload = Base64URL.decode(parts[1]),
            var claims = try? JSONDecoder().decode(ActionClaims.self, from: payload)
        else { throw .malformed }
        if let issuedAt = claims.issuedAt {
            claims.expiresAt = min(claims.expiresAt, issuedAt + linkTTL)
        } else if claims.expiresAt > now + linkTTL {
            // Made before links carried their issue time: none was ever issued in the future.
            throw .expiryBeyondTTL
        }
        guard now < claims.expiresAt else { throw .expired(claims) }
        return claims
    }

    private func macInput(_ key: SigningKey, payload: String) -> Data {
        Data("coalmine-action-v1.\(key.id).\(payload)".utf8)
    }

    private func mac(_ key: SigningKey, payload: String) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: macInput(key, payload: payload), using: key.key)
    }
}

/// Why a link was refused before looking at the rollout.
public enum ActionLinkError: Error, Equatable, Sendable {
    case malformed
    case unknownKey
    case badSignature
    /// Signed with an expiry further away than `linkTTL`: not a link Coalmine made.
    case expiryBeyondTTL
    case expired(ActionClaims)
}

/// Base64 with the URL- and cookie-safe alphabet and no padding.
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
