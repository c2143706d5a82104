import Crypto
import Foundation

/// The audit key (`store.audit.keyFile`) ready to hash entries with: HMAC's padded key is hashed once here instead
/// of once for every entry, which a storm writes thousands of a second on one writer.
public struct ChainKey: Sendable {
    /// HMAC-SHA256 that has taken in its key and nothing else; each entry hashes a copy.
    let keyed: HMAC<SHA256>

    public init(_ secret: String) {
        keyed = HMAC(key: SymmetricKey(data: Data(secret.utf8)))
    }
}
