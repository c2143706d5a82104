/// Reads JSON text (RFC 8259) into a `JSONValue` in one pass. Through `JSONDecoder`, `Decodable` could only find a
/// value's type by trying one type after another, and each miss threw an error (four for every string, five for
/// every object): a twentieth of an idle rollback's CPU went to reading the API's answers that way.
///
/// Values come out as `JSONDecoder` gave them: a number whose value is whole and fits `Int64` (`1`, `1.0`, `1e2`)
/// is an `int`, any other a `double`; of a key repeated in one object the first stays. Unlike it, a trailing comma
/// (`[1,]`) is refused, as RFC 8259 wants.
struct JSONValueParser {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var problem: String
        var description: String { "invalid JSON at byte \(offset): \(problem)" }
    }

    /// As deep as `JSONDecoder` reads; deeper text is refused rather than read on the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    static func parse(_ buffer: UnsafeRawBufferPointer) throws -> JSONValue {
        var parser = JSONValueParser(bytes: buffer)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.failure("text after the value") }
        return value
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func failure(_ problem: String) -> Failure {
        Failure(offset: index, problem: problem)
    }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard let first = next else { throw failure("the text ends where a value should be") }
        switch first {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("a value cannot start here")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count,
            (0..<length).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] })
        else { throw failure("expected \(word)") }
        index += length
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth)") }
        index += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if next == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard next == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes") }
            let key = try string()
            skipWhitespace()
            guard next == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            index += 1
            let value = try value(depth: depth)
            if fields.index(forKey: key) == nil { fields[key] = value }
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(fields)
            default: throw failure("expected ',' or '}' after a value in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth)") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if next == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth))
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw failure("expected ',' or ']' after a value in an array")
            }
        }
    }

    private mutating func string() throws -> String {
        switch JSONString.read(bytes, at: &index) {
        case .success(let text): return text
        case .failure(let failure): throw self.failure(failure.description)
        }
    }

    /// The integer a number with a fraction or exponent stands for, decided on its decimal digits as
    /// `JSONDecoder` decides: `1.0`, `1e2` and `1.5e1` are integers, `906666666666666666.666` is not, though its
    /// nearest `Double` is whole. Nil when it is not whole or does not fit `Int64`.
    static func exactInteger(_ text: String) -> Int64? {
        var digits: [UInt8] = []
        var exponent = 0
        var negative = false
        var inFraction = false
        var utf8 = text.utf8[...]
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        }
        while let byte = utf8.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            if byte == UInt8(ascii: ".") {
                inFraction = true
                continue
            }
            // Leading zeros say nothing of the value.
            if digits.isEmpty && byte == UInt8(ascii: "0") {
                if inFraction { exponent -= 1 }
                continue
            }
            digits.append(byte)
            if inFraction { exponent -= 1 }
        }
        if !utf8.isEmpty {
            // An exponent longer than any Int64 could need: the value is zero, huge or tiny, never a fitting whole
            // number unless its digits are all zero.
            guard let written = Int(String(decoding: utf8.dropFirst(), as: UTF8.self)), abs(written) < 10_000 else {
                return digits.isEmpty ? 0 : nil
            }
            exponent += written
        }
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        guard !digits.isEmpty else { return 0 }
        guard exponent >= 0, digits.count + exponent <= 19 else { return nil }
        // The magnitude must fit as a positive Int64, as JSONDecoder reads it: `-9223372036854775808.0` is a double
        // to it, though Int64.min would hold it.
        guard let magnitude = Int64(String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: exponent))
        else { return nil }
        return negative ? -magnitude : magnitude
    }

    private mutating func number() throws -> JSONValue {
        let start = index
        var isWholeLiteral = true
        func digits() throws {
            guard let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw failure("expected a digit")
            }
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        }
        if next == UInt8(ascii: "-") { index += 1 }
        // No leading zeros: a 0 stands alone before the fraction.
        if next == UInt8(ascii: "0") { index += 1 } else { try digits() }
        if next == UInt8(ascii: ".") {
            isWholeLiteral = false
            index += 1
            try digits()
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            isWholeLiteral = false
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isWholeLiteral, let whole = Int64(text) { return .int(whole) }
        guard let number = Double(text), number.isFinite else {
            index = start
            throw failure("a number too large for a double")
        }
        if let whole = Self.exactInteger(text) { return .int(whole) }
        return .double(number)
    }
}
