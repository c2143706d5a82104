/// JSON strings as Foundation's `JSONEncoder` writes them (with `.withoutEscapingSlashes`): quotes, backslashes and
/// control characters escaped, everything else as it is. For the places that write JSON by hand because the
/// encoder cost too much there: the journal's bodies, which must be its very bytes, and the patches sent to the
/// Kubernetes API.
public enum JSONString {
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var plainFrom = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom..<offset]))
                plainFrom = offset + 1
                switch byte {
                case UInt8(ascii: "\""): bytes += #"\""#.utf8
                case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
                case 0x0A: bytes += #"\n"#.utf8
                case 0x0D: bytes += #"\r"#.utf8
                case 0x09: bytes += #"\t"#.utf8
                case 0x08: bytes += #"\b"#.utf8
                case 0x0C: bytes += #"\f"#.utf8
                default:
                    let digits = Array("0123456789abcdef".utf8)
                    bytes += #"\u00"#.utf8
                    bytes.append(digits[Int(byte >> 4)])
                    bytes.append(digits[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainFrom...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONString {
    /// Why a JSON string could not be read.
    public enum ReadFailure: String, Error, CustomStringConvertible, Sendable {
        case unterminated = "a string that does not end"
        case controlCharacter = "a control character inside a string"
        case unknownEscape = "an unknown escape"
        case badUnicodeEscape = "expected four hex digits after \\u"
        case loneHighSurrogate = "a high surrogate without its low surrogate"
        case loneLowSurrogate = "a low surrogate without its high surrogate"
        case invalidUTF8 = "text that is not UTF-8"

        public var description: String { rawValue }
    }

    /// Reads the JSON string whose opening quote is at `cursor`, undoing its escapes, and leaves `cursor` just past
    /// its closing quote (on failure, near what failed). Refuses what `JSONDecoder` refuses: raw control characters,
    /// unknown escapes, unpaired surrogates, invalid UTF-8. Inlinable, because webhook bodies are read through it, a
    /// few hundred strings a request; most have no escape and are taken as they stand.
    @inlinable
    public static func read(_ bytes: UnsafeRawBufferPointer, at cursor: inout Int) -> Result<String, ReadFailure> {
        let start = cursor + 1
        var position = start
        var isASCII = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                // ASCII is valid UTF-8 as it stands; anything else is checked.
                guard let text = isASCII ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
                else {
                    cursor = start
                    return .failure(.invalidUTF8)
                }
                cursor = position + 1
                return .success(text)
            }
            if byte == UInt8(ascii: "\\") {
                cursor = position
                return readEscaped(bytes, at: &cursor, plainFrom: start)
            }
            if byte < 0x20 {
                cursor = position
                return .failure(.controlCharacter)
            }
            isASCII = isASCII && byte < 0x80
            position += 1
        }
        cursor = position
        return .failure(.unterminated)
    }

    /// The rest of a string from its first backslash at `cursor`; the bytes from `plainFrom` up to it are plain.
    @usableFromInline
    static func readEscaped(_ bytes: UnsafeRawBufferPointer, at cursor: inout Int, plainFrom: Int) -> Result<String, ReadFailure> {
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[plainFrom..<cursor]))
        while cursor < bytes.count {
            let byte = bytes[cursor]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { return .failure(.invalidUTF8) }
                cursor += 1
                return .success(text)
            case UInt8(ascii: "\\"):
                guard cursor + 1 < bytes.count else {
                    cursor = bytes.count
                    return .failure(.unterminated)
                }
                let escaped = bytes[cursor + 1]
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var after = cursor + 2
                    switch escapedScalar(bytes, at: &after) {
                    case .success(let scalar): UTF8.encode(scalar) { utf8.append($0) }
                    case .failure(let failure): return .failure(failure)
                    }
                    cursor = after
                    continue
                default:
                    return .failure(.unknownEscape)
                }
                cursor += 2
            case ..<0x20:
                return .failure(.controlCharacter)
            default:
                utf8.append(byte)
                cursor += 1
            }
        }
        return .failure(.unterminated)
    }

    /// After `\u` at `cursor`: four hex digits, and for a high surrogate the `\u` and low surrogate that must follow.
    private static func escapedScalar(_ bytes: UnsafeRawBufferPointer, at cursor: inout Int) -> Result<Unicode.Scalar, ReadFailure> {
        guard let first = hexQuad(bytes, at: &cursor) else { return .failure(.badUnicodeEscape) }
        switch first {
        case 0xD800..<0xDC00:
            guard cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: "\\"), bytes[cursor + 1] == UInt8(ascii: "u")
            else { return .failure(.loneHighSurrogate) }
            cursor += 2
            guard let second = hexQuad(bytes, at: &cursor) else { return .failure(.badUnicodeEscape) }
            guard (0xDC00..<0xE000).contains(second) else { return .failure(.loneHighSurrogate) }
            return .success(Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!)
        case 0xDC00..<0xE000:
            return .failure(.loneLowSurrogate)
        default:
            return .success(Unicode.Scalar(first)!)
        }
    }

    private static func hexQuad(_ bytes: UnsafeRawBufferPointer, at cursor: inout Int) -> UInt32? {
        guard cursor + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[cursor..<cursor + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        cursor += 4
        return value
    }
}
