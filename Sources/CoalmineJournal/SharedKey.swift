import Crypto

/// A secret every process writing one journal must hold alike. The journal records an id of each (`KeyID`, never
/// the key) the first time it is used, so a replica, a restart or an auditor holding another key is told which
/// key differs instead of writing a chain or links the others cannot check.
public enum SharedKey: String, Sendable, CaseIterable {
    /// `store.audit.keyFile`: the key of the hash chain. Fixed for the journal's life.
    case audit
    /// `server.actions.signingKeyFile`: the key one-click links are signed with. Replaced by a rotation, when the
    /// key on record is among `server.actions.previousKeyFiles`.
    case linkSigning = "link-signing"

    /// The config key that names the key's file, for messages.
    public var configKey: String {
        switch self {
        case .audit: "store.audit.keyFile"
        case .linkSigning: "server.actions.signingKeyFile"
        }
    }
}

/// An id of a shared key: the first 8 bytes of HMAC-SHA256 of a fixed label under the key, in hex. Knowing it
/// tells nothing of the key, and two keys that differ have different ids.
public enum KeyID {
    static let label = Array("coalmine shared key id v1".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func of(_ secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: label, using: SymmetricKey(data: Array(secret.utf8)))
        let text = code.prefix(8).flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0xF)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
