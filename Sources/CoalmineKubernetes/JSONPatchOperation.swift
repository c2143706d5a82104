import CoalmineCore

/// One operation of an RFC 6902 JSON Patch, as sent with `Content-Type: application/json-patch+json`.
public struct JSONPatchOperation: Codable, Equatable, Sendable {
    public var op: String
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    public static func test(_ path: [JSONPointerStep], _ value: JSONValue) -> JSONPatchOperation {
        JSONPatchOperation(op: "test", path: JSONPointer.encode(path), value: value)
    }

    public static func remove(_ path: [JSONPointerStep]) -> JSONPatchOperation {
        JSONPatchOperation(op: "remove", path: JSONPointer.encode(path))
    }

    /// `add`, not `replace`: it sets a field whether or not it exists, and a zero weight is often absent.
    public static func add(_ path: [JSONPointerStep], _ value: JSONValue) -> JSONPatchOperation {
        JSONPatchOperation(op: "add", path: JSONPointer.encode(path), value: value)
    }
}

/// A step of a JSON Pointer: an object key or an array index.
public enum JSONPointerStep: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}

/// RFC 6901 JSON Pointers.
public enum JSONPointer {
    public static func encode(_ steps: [JSONPointerStep]) -> String {
        // Built by hand, escaping only keys that need it: two `replacingOccurrences` for every step of every path
        // of a patch were a tenth of a millisecond of a rollback's way to the cluster on an idle server.
        var pointer = ""
        for step in steps {
            pointer += "/"
            switch step {
            case .key(let key) where key.utf8.contains { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }:
                for character in key {
                    switch character {
                    case "~": pointer += "~0"
                    case "/": pointer += "~1"
                    default: pointer.append(character)
                    }
                }
            case .key(let key): pointer += key
            case .index(let index): pointer += String(index)
            }
        }
        return pointer
    }

    /// The unescaped reference tokens of `pointer`, or nil when it is not a pointer.
    public static func tokens(_ pointer: String) -> [String]? {
        guard !pointer.isEmpty else { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }
}
