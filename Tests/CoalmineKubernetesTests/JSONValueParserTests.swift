import CoalmineCore
import CoalmineKubernetes
import Foundation
import Testing

/// The API's answers are read by `JSONValue(parsing:)`; it must read them exactly as `JSONDecoder` did, and refuse
/// what is not JSON by saying where.
@Suite struct JSONValueParserTests {
    func decoded(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    func parsed(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: Data(text.utf8))
    }

    @Test func kubernetesObjectsReadAsJSONDecoderReadThem() throws {
        let status = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"virtualservices.networking.istio.io \\"route\\" is forbidden: User \\"system:serviceaccount:ml:coalmine\\" cannot patch","reason":"Forbidden","details":{"name":"route","group":"networking.istio.io","kind":"virtualservices"},"code":403}
            """
        for document in [richVirtualService, httpRoute, status] {
            let value = try parsed(document)
            #expect(value == (try decoded(document)))
            #expect(value["metadata"] != nil)
        }
    }

    @Test func numbersComeOutAsJSONDecoderGaveThem() throws {
        let text = "[0, -0, 1.0, 1e2, 1E+2, 100e-2, -0.0, 2.50, 0.1, -7, 9223372036854775807, -9223372036854775808, 9223372036854775808, 12345678901234567890, 1.5e300]"
        let value = try parsed(text)
        #expect(value == (try decoded(text)))
        #expect(value[2] == .int(1))
        #expect(value[7] == .double(2.5))
        #expect(value[10] == .int(Int64.max))
        #expect(value[12] == .double(9_223_372_036_854_775_808))
    }

    /// Whole or not is decided on the decimal text, as `JSONDecoder` decides it: the first is a double whose
    /// nearest `Double` happens to be whole (the json-value fuzz target's find), the rest are integers written
    /// with a fraction or an exponent, and the last two do not fit `Int64` (nor, to JSONDecoder, does the fifth).
    @Test func wholeNumbersAreDecidedOnTheirDigits() throws {
        let text = "[906666666666666666.666, 1.5e1, 100e-2, 12.3400e2, -9223372036854775808.0, 1e18, 0.0e999999, 1e19, 9.3e18]"
        let value = try parsed(text)
        let expected = try decoded(text)
        for index in 0..<9 {
            #expect(value[index] == expected[index], "element \(index)")
        }
        #expect(value[0] == .double(906666666666666666.666))
        #expect(value[1] == .int(15))
        #expect(value[3] == .int(1234))
        #expect(value[4] == .double(-9_223_372_036_854_775_808), "as JSONDecoder reads it, not Int64.min")
        #expect(value[5] == .int(1_000_000_000_000_000_000))
        #expect(value[6] == .int(0))
    }

    @Test func escapesAndUnicodeReadAsWritten() throws {
        let text = #"["\"\\\/\b\f\n\r\t", "\u00e9\u65E5", "\ud83d\ude00", "plain é 日本 😀", "", {"a": 1, "a": 2}]"#
        let value = try parsed(text)
        #expect(value == (try decoded(text)))
        #expect(value[0] == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(value[1] == .string("é日"))
        #expect(value[2] == .string("😀"))
        // Of a repeated key the first stays, as with JSONDecoder.
        #expect(value[5]?["a"] == .int(1))
    }

    @Test func randomDocumentsComeBackAsTheyWereWritten() throws {
        var draw = RandomJSON(seed: 7)
        for _ in 0..<300 {
            let original = draw.value()
            let data = try JSONEncoder().encode(original)
            #expect(try JSONValue(parsing: data) == original)
        }
    }

    @Test func whatIsNotJSONIsRefusedNamingTheByte() throws {
        let refused: [(text: String, problem: String)] = [
            ("", "the text ends where a value should be"),
            ("[1, 2", "expected ',' or ']'"),
            ("{\"a\" 1}", "expected ':' after a key"),
            ("{a: 1}", "expected a key in double quotes"),
            ("[1,]", "a value cannot start here"),
            ("[01]", "expected ',' or ']'"),
            ("[-]", "expected a digit"),
            ("[1.]", "expected a digit"),
            ("[1e]", "expected a digit"),
            ("[+1]", "a value cannot start here"),
            ("[tru]", "expected true"),
            ("\"unterminated", "a string that does not end"),
            ("\"tab\there\"", "a control character inside a string"),
            (#""bad \x escape""#, "an unknown escape"),
            (#""\u12G4""#, "expected four hex digits"),
            (#""\ud83d alone""#, "a high surrogate without its low surrogate"),
            (#""\ude00""#, "a low surrogate without its high surrogate"),
            ("[1e400]", "a number too large for a double"),
            ("{} {}", "text after the value"),
        ]
        for (text, problem) in refused {
            let error = #expect(throws: (any Error).self, "\(text)") { try parsed(text) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(problem), "\(text): \(String(describing: error))")
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("invalid JSON at byte "))
        }
    }

    @Test func textThatIsNotUTF8IsRefusedAsJSONDecoderRefusesIt() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22]] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
            let error = #expect(throws: (any Error).self) { try JSONValue(parsing: Data(bytes)) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("text that is not UTF-8"))
        }
    }

    @Test func nestingIsReadAsDeepAsJSONDecoderReadsAndNoDeeper() throws {
        #expect(try parsed(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) != .null)
        #expect(throws: (any Error).self) {
            try parsed(String(repeating: "[", count: 513) + String(repeating: "]", count: 513))
        }
        #expect(throws: (any Error).self) { try parsed(String(repeating: "{\"a\":", count: 100_000)) }
    }
}
