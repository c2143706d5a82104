import Crypto

/// The audit key (`store.audit.keyFile`) ready to hash entries with: HMAC-SHA256 (RFC 2104) with the key's padded
/// blocks hashed once, here, instead of once for every entry, which a storm writes thousands of a second on one
/// writer. Done with SHA-256 directly because swift-crypto's `HMAC` takes entries only as a generic `DataProtocol`,
/// which cost as much again as the hashing (a test holds the two side by side, for short, block-long and long keys).
public struct ChainKey: Sendable {
    /// SHA-256 that has taken in the padded key XOR 0x36, and the one that has taken it XOR 0x5c.
    private let inner: SHA256
    private let outer: SHA256

    public init(_ secret: String) {
        var key = Array(secret.utf8)
        // A key longer than a block is hashed first; a shorter one is padded with zeros.
        if key.count > SHA256.blockByteCount { key = Array(SHA256.hash(data: key)) }
        key += repeatElement(0, count: SHA256.blockByteCount - key.count)
        var inner = SHA256()
        inner.update(data: key.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: key.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    func authenticationCode(of message: UnsafeRawBufferPointer) -> SHA256.Digest {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
