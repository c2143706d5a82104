/// Reads a webhook body straight into an `AlertWebhookPayload` in one pass over its bytes. During an alert storm
/// Foundation's `JSONDecoder` was a fifth of each request; this reads only the fields Coalmine uses and skips the
/// rest without building them.
///
/// It accepts only what `JSONDecoder` accepts and gives the same value (a test holds the two side by side). On
/// anything it does not like it declines and the caller decodes with `JSONDecoder`, whose error names the
/// problem for the 400 answer: this is a fast path, never a second opinion. The one thing it refuses itself is
/// nesting deeper than `JSONDecoder` takes: it skips values it does not read by recursion, and 20,000 nested
/// arrays in an unknown field overflowed the stack and ended the server.
public struct WebhookPayloadScanner {
    public enum Outcome: Equatable, Sendable {
        case payload(AlertWebhookPayload)
        /// Not read here: `JSONDecoder` decides, and explains.
        case declined
        /// Arrays and objects nested deeper than `maximumDepth`, first seen at `offset`.
        case nestedTooDeep(offset: Int)
    }

    /// Foundation's JSON parser refuses deeper nesting than this too, so nothing it accepts is refused here. The
    /// same limit as the Kubernetes answers' reader.
    public static let maximumDepth = JSONValueParser.maximumDepth

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var tooDeepAt: Int?

    public static func payload(from body: [UInt8]) -> AlertWebhookPayload? {
        guard case .payload(let payload) = body.withUnsafeBytes({ scan($0) }) else { return nil }
        return payload
    }

    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var scanner = WebhookPayloadScanner(bytes: bytes)
        let payload = scanner.payload()
        if let offset = scanner.tooDeepAt { return .nestedTooDeep(offset: offset) }
        guard let payload else { return .declined }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? .payload(payload) : .declined
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func payload() -> AlertWebhookPayload? {
        var version: String??
        var alerts: [AlertWebhookPayload.Alert]?
        let complete = object { scanner, key in
            switch key {
            case "version": scanner.readOnce(&version) { $0.optionalString() }
            case "alerts": scanner.readOnce(&alerts) { $0.array { $0.alert() } }
            default: scanner.skipValue(depth: 1)
            }
        }
        guard complete, let alerts else { return nil }
        return AlertWebhookPayload(version: version ?? nil, alerts: alerts)
    }

    private mutating func alert() -> AlertWebhookPayload.Alert? {
        var status: String?
        var labels: [String: String]?
        var annotations: [String: String]??
        var startsAt: String?
        var endsAt: String??
        var fingerprint: String??
        let complete = object { scanner, key in
            switch key {
            case "status": scanner.readOnce(&status) { $0.string() }
            case "labels": scanner.readOnce(&labels) { $0.stringMap() }
            case "startsAt": scanner.readOnce(&startsAt) { $0.string() }
            case "annotations": scanner.readOnce(&annotations) { $0.null() ? .some(nil) : $0.stringMap().map { $0 } }
            case "endsAt": scanner.readOnce(&endsAt) { $0.optionalString() }
            case "fingerprint": scanner.readOnce(&fingerprint) { $0.optionalString() }
            default: scanner.skipValue(depth: 3)
            }
        }
        guard complete, let status, let labels, let startsAt else { return nil }
        return AlertWebhookPayload.Alert(
            status: status, labels: labels, annotations: annotations ?? nil, startsAt: startsAt, endsAt: endsAt ?? nil,
            fingerprint: fingerprint ?? nil)
    }

    /// Reads a field's value into `slot`: false, declining the body, when the value is not what the field takes
    /// or the field came before.
    private mutating func readOnce<Value>(_ slot: inout Value?, _ read: (inout WebhookPayloadScanner) -> Value?) -> Bool {
        guard slot == nil else { return false }
        slot = read(&self)
        return slot != nil
    }

    // MARK: JSON

    /// Calls `field` for each key of an object, positioned at its value; false from `field` stops with failure.
    /// The fields read fail on a key given twice, as `JSONDecoder` may resolve those differently.
    private mutating func object(_ field: (inout WebhookPayloadScanner, String) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = string(), take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard field(&self, key) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    private mutating func array<Element>(_ element: (inout WebhookPayloadScanner) -> Element?) -> [Element]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var elements: [Element] = []
        if take(UInt8(ascii: "]")) { return elements }
        repeat {
            skipWhitespace()
            guard let next = element(&self) else { return nil }
            elements.append(next)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? elements : nil
    }

    private mutating func stringMap() -> [String: String]? {
        var map: [String: String] = [:]
        let complete = object { scanner, key in
            guard let value = scanner.string() else { return false }
            return map.updateValue(value, forKey: key) == nil
        }
        return complete ? map : nil
    }

    /// A string or null: `.some(nil)` for null, nil when it is neither.
    private mutating func optionalString() -> String?? {
        if null() { return .some(nil) }
        return string().map { $0 }
    }

    private mutating func null() -> Bool {
        literal("null")
    }

    /// A string, its escapes undone; invalid UTF-8 or a raw control character fails, as the JSON standard requires.
    private mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        return try? JSONString.read(bytes, at: &index).get()
    }

    /// Skips any value, checking its shape as it goes. `depth`: how many arrays and objects enclose it.
    private mutating func skipValue(depth: Int) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maximumDepth else {
                tooDeepAt = index
                return false
            }
            if bytes[index] == UInt8(ascii: "{") { return object { scanner, _ in scanner.skipValue(depth: depth + 1) } }
            return array { $0.skipValue(depth: depth + 1) ? true : nil } != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return null()
        default: return number()
        }
    }

    /// A number as JSON writes it: optional minus, integer part without leading zeros, fraction, exponent.
    private mutating func number() -> Bool {
        func digits(_ scanner: inout WebhookPayloadScanner) -> Int {
            let start = scanner.index
            while scanner.index < scanner.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(scanner.bytes[scanner.index]) {
                scanner.index += 1
            }
            return scanner.index - start
        }
        _ = take(UInt8(ascii: "-"), skippingWhitespace: false)
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return false }
        if take(UInt8(ascii: "."), skippingWhitespace: false) { guard digits(&self) > 0 else { return false } }
        if take(UInt8(ascii: "e"), skippingWhitespace: false) || take(UInt8(ascii: "E"), skippingWhitespace: false) {
            if !take(UInt8(ascii: "+"), skippingWhitespace: false) { _ = take(UInt8(ascii: "-"), skippingWhitespace: false) }
            guard digits(&self) > 0 else { return false }
        }
        return true
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Takes `byte` if it comes next, after any whitespace.
    private mutating func take(_ byte: UInt8, skippingWhitespace: Bool = true) -> Bool {
        if skippingWhitespace { skipWhitespace() }
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }
}
