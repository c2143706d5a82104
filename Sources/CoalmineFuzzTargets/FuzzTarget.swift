import CoalmineCore
import Foundation

/// One reader of outside bytes, driven by a fuzzer: it must never crash, hang or disagree with its Foundation
/// twin. A disagreement is made a crash (`fatalError`) so libFuzzer keeps the input that shows it.
public struct FuzzTarget: Sendable {
    public let name: String
    public let run: @Sendable (UnsafeRawBufferPointer) -> Void

    /// Every target, by the name `scripts/fuzz.sh` and `Fuzz/corpus/NAME/` use.
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "webhook-scanner", run: webhookScanner),
        FuzzTarget(name: "json-string", run: jsonString),
        FuzzTarget(name: "json-value", run: jsonValue),
        FuzzTarget(name: "rfc3339", run: rfc3339),
        FuzzTarget(name: "duration", run: duration),
        FuzzTarget(name: "cidr", run: cidr),
    ]

    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }

    /// Differential: where the hand-written scanner reads a webhook body, `JSONDecoder` must read the same
    /// payload; where it refuses a body for its nesting, `JSONDecoder` must refuse it too. (Bodies it declines go
    /// to `JSONDecoder` in the server, so their answer is `JSONDecoder`'s by construction.)
    static func webhookScanner(_ bytes: UnsafeRawBufferPointer) {
        let outcome = WebhookPayloadScanner.scan(bytes)
        let decoded = try? JSONDecoder().decode(AlertWebhookPayload.self, from: Data(bytes))
        switch outcome {
        case .payload(let scanned):
            guard scanned == decoded else {
                fatalError("the scanner read \(scanned), JSONDecoder \(String(describing: decoded))")
            }
        case .nestedTooDeep(let offset):
            guard decoded == nil else { fatalError("refused as nested too deep at \(offset), JSONDecoder read it") }
        case .declined:
            break
        }
    }

    /// Differential: a JSON string read by `JSONString.read` is the one `JSONDecoder` reads, and what it refuses
    /// `JSONDecoder` refuses.
    static func jsonString(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.first == UInt8(ascii: "\"") else { return }
        var cursor = 0
        let read = JSONString.read(bytes, at: &cursor)
        guard case .success(let text) = read else {
            // Refused: `JSONDecoder` must refuse the same bytes too. Except for a raw NUL, which JSON forbids but
            // Foundation's parser on Linux takes as the end of the text (`"a<NUL>b"` reads as "a"): refusing it
            // is the stricter, standard answer, and no sender writes one (Go escapes it as \u0000).
            if !bytes.contains(0), let decoded = try? JSONDecoder().decode(String.self, from: Data(bytes)) {
                fatalError("JSONString refused (\(read)) what JSONDecoder read as \(decoded.debugDescription)")
            }
            return
        }
        let literal = Data(UnsafeRawBufferPointer(rebasing: bytes[0..<cursor]))
        guard let decoded = try? JSONDecoder().decode(String.self, from: literal) else {
            fatalError("JSONString read \(text.debugDescription), JSONDecoder refused the same literal")
        }
        guard decoded == text else { fatalError("JSONString read \(text.debugDescription), JSONDecoder \(decoded.debugDescription)") }
        // And what the writer makes of it reads back the same.
        var written: [UInt8] = []
        JSONString.appendQuoted(text, to: &written)
        let again = written.withUnsafeBytes { written in
            var start = 0
            return JSONString.read(written, at: &start)
        }
        guard case .success(text) = again else { fatalError("\(text.debugDescription) written and read back as \(again)") }
    }

    /// Differential: what `JSONValueParser` reads from the Kubernetes API's answers is what `JSONDecoder` reads
    /// (see `sameNumbers` for whole numbers past 2^53).
    /// (It refuses a few things `JSONDecoder` lets pass, a trailing comma among them: stricter is allowed.)
    static func jsonValue(_ bytes: UnsafeRawBufferPointer) {
        guard let parsed = try? JSONValue(parsing: bytes) else { return }
        guard let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            fatalError("JSONValueParser read \(parsed), JSONDecoder refused it")
        }
        guard sameNumbers(parsed, decoded) else { fatalError("JSONValueParser read \(parsed), JSONDecoder \(decoded)") }
    }

    /// Equal, but that from 2^53 on a whole number need only agree to double precision, int or double: there
    /// `JSONDecoder` reads text again as a `Decimal` (truncating) and answers an int or a double for the same
    /// kind of text (`9066666666666666.666` an int, `906666666666666666.666` a double), where the parser takes the
    /// nearest `Double`. Both name the value a double can hold of it.
    static func sameNumbers(_ left: JSONValue, _ right: JSONValue) -> Bool {
        func number(_ value: JSONValue) -> Double? {
            switch value {
            case .int(let whole): Double(whole)
            case .double(let double): double
            default: nil
            }
        }
        switch (left, right) {
        case (.int, .int), (.int, .double), (.double, .int):
            guard left != right else { return true }
            guard let a = number(left), let b = number(right), abs(a) >= 0x1p53 || abs(b) >= 0x1p53 else { return false }
            return abs(a - b) <= 2 * max(a.ulp, b.ulp)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { sameNumbers($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { sameNumbers(value, $0) } ?? false }
        default:
            return left == right
        }
    }

    /// Round trip: a time that parses is written in UTC and parses back to the same instant.
    static func rfc3339(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self), let time = Timestamp(rfc3339: text) else { return }
        let written = time.rfc3339
        guard Timestamp(rfc3339: written) == time else { fatalError("\(text) → \(written) does not read back") }
    }

    /// Round trip: a duration that parses is written in its shortest form and parses back to the same length.
    static func duration(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self), let duration = DurationText.parse(text) else { return }
        let written = DurationText.format(duration)
        guard DurationText.parse(written) == duration else { fatalError("\(text) → \(written) does not read back") }
    }

    /// Round trip: a block that parses is written as `network/prefix` and parses back to the same block.
    static func cidr(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self), let block = CIDRBlock(text) else { return }
        guard CIDRBlock(block.description) == block else { fatalError("\(text) → \(block) does not read back") }
        _ = block.contains(Array(bytes.prefix(16)))
    }
}
