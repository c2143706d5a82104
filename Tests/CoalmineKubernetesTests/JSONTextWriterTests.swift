import Foundation
import Testing

@testable import CoalmineKubernetes

/// A patch is written by hand; whatever its values hold, the API server must read back exactly the operations.
@Suite struct JSONTextWriterTests {
    @Test func patchesReadBackAsTheOperationsTheyWere() throws {
        var seed: UInt64 = 11
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        func text() -> String {
            let pieces = ["spec", "/", "~", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "é", "日本", "😀", "\u{7F}", ""]
            return (0..<next(5)).map { _ in pieces[next(pieces.count)] }.joined()
        }
        func value(depth: Int) -> JSONValue {
            switch next(depth > 2 ? 6 : 8) {
            case 0: .null
            case 1: .bool(next(2) == 0)
            case 2: .int(Int64(next(2_000_001)) - 1_000_000)
            case 3: .double([0.5, -2.25, 1e-7, 1.5e300, 123.456][next(5)])
            case 4, 5: .string(text())
            case 6: .array((0..<next(4)).map { _ in value(depth: depth + 1) })
            default: .object(Dictionary((0..<next(4)).map { _ in (text(), value(depth: depth + 1)) }, uniquingKeysWith: { first, _ in first }))
            }
        }
        for _ in 0..<200 {
            let operations = (0..<next(6)).map { _ in
                JSONPatchOperation(
                    // A value of null is written (below), but reads back through `Decodable` as no value at all.
                    op: ["test", "add", "remove", "move"][next(4)], path: text(),
                    value: next(3) == 0 ? nil : [value(depth: 0)].first { $0 != .null } ?? .int(1),
                    from: next(4) == 0 ? text() : nil)
            }
            let document = JSONTextWriter.document(operations)
            let readBack = try JSONDecoder().decode([JSONPatchOperation].self, from: document)
            #expect(readBack == operations, "\(String(decoding: document, as: UTF8.self))")
        }
    }

    @Test func aWeightPatchIsWrittenPlainly() throws {
        let document = JSONTextWriter.document([
            .test(["metadata", "resourceVersion"], .string("1041")),
            .add(["spec", "http", 0, "route", 1, "weight"], .int(0)),
            .test(["spec", "http", 0, "name"], .null),
        ])
        #expect(String(decoding: document, as: UTF8.self) == """
            [{"op":"test","path":"/metadata/resourceVersion","value":"1041"},\
            {"op":"add","path":"/spec/http/0/route/1/weight","value":0},\
            {"op":"test","path":"/spec/http/0/name","value":null}]
            """)
    }
}
