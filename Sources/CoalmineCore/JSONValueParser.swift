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
        // As JSONDecoder does below 2^53, where a whole Double is exactly the number (so `1.0000000000000001` is 1).
        // Above, JSONDecoder reads some such numbers again as a Decimal and some not; the value is the same
        // either way and no Kubernetes field Coalmine reads comes near it.
        if number.rounded() == number, number >= -0x1p63, number < 0x1p63 { return .int(Int64(number)) }
        return .double(number)
    }
}
