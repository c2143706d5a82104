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

    /// Below 2^53 a number written with a fraction or an exponent is whole when its Double is, as JSONDecoder
    /// reads it; above, JSONDecoder answers an int or a double for the same kind of text (the json-value fuzz
    /// target's finds) and truncates where the parser rounds, so the two are held to the same value to double
    /// precision.
    @Test func wholeNumbersAreReadAsJSONDecoderReadsThem() throws {
        let small = "[1.0000000000000001, 1.5e1, 100e-2, 12.3400e2, 0.0e999999, 0.5]"
        #expect(try parsed(small) == (try decoded(small)))
        #expect(try parsed(small)[0] == .int(1))
        #expect(try parsed(small)[5] == .double(0.5))
        for large in ["9066666666666666.666", "906666666666666666.666", "9066666663333333.666", "1e18", "9.3e18"] {
            let value = try parsed(large)
            let expected = try decoded(large)
            let asDouble: (JSONValue) -> Double? = { value in
                switch value {
                case .int(let whole): Double(whole)
                case .double(let double): double
                default: nil
                }
            }
            // JSONDecoder truncates a Decimal there, the parser takes the nearest Double: equal to double precision.
            let a = try #require(asDouble(value))
            let b = try #require(asDouble(expected))
            #expect(abs(a - b) <= 2 * max(a.ulp, b.ulp), "\(large): \(value) and JSONDecoder's \(expected)")
        }
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
