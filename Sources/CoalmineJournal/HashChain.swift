import Crypto

/// The journal's tamper evidence: each entry's hash covers its fields and the previous entry's hash, so changing,
/// removing or reordering any entry breaks every link after it.
enum HashChain {
    static let genesis = String(repeating: "0", count: 64)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// SHA-256 of the entry's fields, or with `key` their HMAC-SHA256: then only the key's holder can make a
    /// chain that checks out, so rewriting entries and re-chaining them is found.
    static func hash(
        previous: String, sequence: Int64, recordedAt: Int64, rollout: String, run: Int, kind: String, body: String,
        key: ChainKey? = nil
    ) -> String {
        // Fields are length-prefixed so that no two different entries can produce the same bytes.
        let fields = [previous, String(sequence), String(recordedAt), rollout, String(run), kind, body]
        var material: [UInt8] = []
        material.reserveCapacity(fields.reduce(0) { $0 + $1.utf8.count + 12 })
        for field in fields {
            material += String(field.utf8.count).utf8
            material.append(UInt8(ascii: ":"))
            material += field.utf8
            material.append(UInt8(ascii: "\n"))
        }
        if var mac = key?.keyed {
            mac.update(data: material)
            return hex(mac.finalize())
        }
        return hex(SHA256.hash(data: material))
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        String(unsafeUninitializedCapacity: 64) { text in
            var index = 0
            for byte in digest {
                text[index] = hexDigits[Int(byte >> 4)]
                text[index + 1] = hexDigits[Int(byte & 0x0F)]
                index += 2
            }
            return 64
        }
    }
}
