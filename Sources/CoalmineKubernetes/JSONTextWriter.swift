import CoalmineCore
import Foundation

/// Writes JSON Patch documents without `JSONEncoder`: a rollback's patch is written on its way to the cluster, and
/// Foundation's encoder, cold on an idle server, took a twentieth of a millisecond of that way.
enum JSONTextWriter {
    /// The patch document: `[{"op":…,"path":…,"value":…,"from":…}, …]`, absent fields left out.
    static func document(_ operations: [JSONPatchOperation]) -> Data {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(64 * operations.count + 2)
        for (index, operation) in operations.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += #"{"op":"#.utf8
            JSONString.appendQuoted(operation.op, to: &bytes)
            bytes += #","path":"#.utf8
            JSONString.appendQuoted(operation.path, to: &bytes)
            if let value = operation.value {
                bytes += #","value":"#.utf8
                append(value, to: &bytes)
            }
            if let from = operation.from {
                bytes += #","from":"#.utf8
                JSONString.appendQuoted(from, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
        return Data(bytes)
    }

    static func append(_ value: JSONValue, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes += "null".utf8
        case .bool(let flag): bytes += (flag ? "true" : "false").utf8
        case .int(let number): bytes += String(number).utf8
        // Only finite doubles are ever read in, and Swift writes them as JSON numbers (`2.5`, `1e-07`).
        case .double(let number): bytes += number.description.utf8
        case .string(let text): JSONString.appendQuoted(text, to: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(item, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONString.appendQuoted(field.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                append(field.value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
