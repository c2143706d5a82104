import CoalmineKubernetes
import Testing

/// RFC 6901: a patch path names exactly the field it means, whatever characters the field's key holds.
@Suite struct JSONPointerTests {
    @Test func plainKeysAndIndexesAreJoinedWithSlashes() {
        #expect(JSONPointer.encode(["spec", "http", 0, "route", 12, "weight"]) == "/spec/http/0/route/12/weight")
        #expect(JSONPointer.encode([]) == "")
        #expect(JSONPointer.encode([""]) == "/")
    }

    @Test func tildesAndSlashesInKeysAreEscapedTildeFirst() {
        #expect(JSONPointer.encode(["metadata", "annotations", "app.kubernetes.io/name"]) == "/metadata/annotations/app.kubernetes.io~1name")
        #expect(JSONPointer.encode(["a~b"]) == "/a~0b")
        // "~1" in a key is a tilde and a one, not an escaped slash.
        #expect(JSONPointer.encode(["~1", "/~"]) == "/~01/~1~0")
        #expect(JSONPointer.encode(["über/straße"]) == "/über~1straße")
    }

    @Test func escapedKeysComeBackAsTheyWere() {
        let keys = ["plain", "a/b", "a~b", "~1", "/~0/", "über/straße", ""]
        for key in keys {
            #expect(JSONPointer.tokens(JSONPointer.encode(["spec", .key(key)])) == ["spec", key])
        }
    }
}
