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
        // Fields are length-prefixed so that no two different entries can produce the same bytes. Written straight
        // into one buffer: numbers as their decimal digits, without a string for each.
        var material: [UInt8] = []
        material.reserveCapacity(previous.utf8.count + rollout.utf8.count + kind.utf8.count + body.utf8.count + 120)
        func append(_ text: String) {
            appendDecimal(Int64(text.utf8.count), to: &material)
            material.append(UInt8(ascii: ":"))
            material += text.utf8
            material.append(UInt8(ascii: "\n"))
        }
        func append(_ number: Int64) {
            let digits = decimalDigitCount(number)
            appendDecimal(Int64(digits), to: &material)
            material.append(UInt8(ascii: ":"))
            appendDecimal(number, to: &material)
            material.append(UInt8(ascii: "\n"))
        }
        append(previous)
        append(sequence)
        append(recordedAt)
        append(rollout)
        append(Int64(run))
        append(kind)
        append(body)
        return material.withUnsafeBytes { bytes in
            if let key { return hex(key.authenticationCode(of: bytes)) }
            var hasher = SHA256()
            hasher.update(bufferPointer: bytes)
            return hex(hasher.finalize())
        }
    }

    /// How many characters `String(number)` has.
    private static func decimalDigitCount(_ number: Int64) -> Int {
        var count = number < 0 ? 2 : 1
        var rest = number.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// Appends what `String(number).utf8` holds.
    private static func appendDecimal(_ number: Int64, to bytes: inout [UInt8]) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
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
