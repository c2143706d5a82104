import Crypto
import Foundation
import Testing

@testable import CoalmineJournal

/// The chain's hashes are the journal's evidence: the fields are hashed as they always were, length-prefixed, and
/// the keyed hash is exactly HMAC-SHA256, whatever the key's length.
@Suite struct HashChainTests {
    /// The entry's bytes as the chain has always laid them out.
    static func material(_ fields: [String]) -> [UInt8] {
        fields.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) + [UInt8(ascii: "\n")] }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static let entries: [(previous: String, sequence: Int64, recordedAt: Int64, rollout: String, run: Int, kind: String, body: String)] = [
        (HashChain.genesis, 1, 1_800_000_000_000, "tf-model-service", 1, "transition", #"{"actor":"alice"}"#),
        (String(repeating: "a", count: 64), 42, 0, "ranker", 12, "alert-received", ""),
        ("b", 9_000_000_000, 1_800_000_000_123, "r", 0, "human-action", String(repeating: "é{\"x\":1}", count: 300)),
        // Numbers are written digit by digit: a sign, ten and a tenth power must come out as `String` writes them.
        ("", 10, -1_000, "r", 100, "transition", "x"),
    ]

    @Test(arguments: [nil, "audit-secret", String(repeating: "k", count: 64), String(repeating: "long key ", count: 20)])
    func theChainHashIsSHA256OrHMACOfTheLengthPrefixedFields(key: String?) {
        for entry in Self.entries {
            let material = Self.material([
                entry.previous, String(entry.sequence), String(entry.recordedAt), entry.rollout, String(entry.run),
                entry.kind, entry.body,
            ])
            let expected = key.map {
                Self.hex(HMAC<SHA256>.authenticationCode(for: material, using: SymmetricKey(data: Data($0.utf8))))
            } ?? Self.hex(SHA256.hash(data: material))
            let computed = HashChain.hash(
                previous: entry.previous, sequence: entry.sequence, recordedAt: entry.recordedAt, rollout: entry.rollout,
                run: entry.run, kind: entry.kind, body: entry.body, key: key.map(ChainKey.init))
            #expect(computed == expected)
        }
    }
}
