import Foundation

/// How journal bodies and outbox payloads are written: sorted keys, so the same value always gives the same
/// bytes (they are hashed), and slashes as they are (URLs and lanes read naturally). The bodies a storm writes
/// thousands of a second write themselves (`CanonicalJSONEncodable`), to the same bytes.
public enum JournalJSON {
    public static func encode(_ value: some Encodable) -> String {
        if let canonical = value as? any CanonicalJSONEncodable { return canonical.canonicalJSON }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only our own plain value types are encoded here, and they always encode.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
