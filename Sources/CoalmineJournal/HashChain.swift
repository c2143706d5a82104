import Crypto

/// The journal's tamper evidence: each entry's hash covers its fields and the previous entry's hash, so changing,
/// removing or reordering any entry breaks every link after it.
enum HashChain {
    static let genesis = String(repeating: "0", count: 64)

    static func hash(
        previous: String, sequence: Int64, recordedAt: Int64, rollout: String, run: Int, kind: String, body: String
    ) -> String {
        // Fields are length-prefixed so that no two different entries can produce the same bytes.
        var material = ""
        for field in [previous, String(sequence), String(recordedAt), rollout, String(run), kind, body] {
            material += "\(field.utf8.count):\(field)\n"
        }
        return SHA256.hash(data: Array(material.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
