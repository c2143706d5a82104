import Foundation
import Testing

@testable import CoalmineKubernetes

/// A patch is written by hand; whatever its values hold, the API server must read back exactly the operations.
@Suite struct JSONTextWriterTests {
    @Test func patchesReadBackAsTheOperationsTheyWere() throws {
        var draw = RandomJSON(seed: 11)
        for _ in 0..<200 {
            let operations = (0..<draw.next(6)).map { _ in
                JSONPatchOperation(
                    // A value of null is written (below), but reads back through `Decodable` as no value at all.
                    op: ["test", "add", "remove", "move"][draw.next(4)], path: draw.text(),
                    value: draw.next(3) == 0 ? nil : [draw.value()].first { $0 != .null } ?? .int(1),
                    from: draw.next(4) == 0 ? draw.text() : nil)
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
