import CoalmineCore

/// Writes one JSON object byte for byte as `JournalJSON.encode` would (keys sorted by their UTF-8 bytes, slashes
/// as they are, absent optionals left out), without Foundation's encoder and its intermediate tree: an alert storm
/// writes thousands of bodies a second, and that encoder was most of the time spent on each.
///
/// Fields must be added in the order of their keys' UTF-8 bytes (a dictionary's keys are sorted here). Types written
/// this way conform to `CanonicalJSONEncodable`, and a test checks each against `JSONEncoder`: a field out of order,
/// or added to a type and forgotten here, fails that test rather than changing the journal.
public struct CanonicalJSONObject {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    public init() {
        bytes.reserveCapacity(256)
    }

    public mutating func add(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        JSONString.appendQuoted(value, to: &bytes)
    }

    public mutating func add(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        bytes += String(value).utf8
    }

    public mutating func add(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes += value ? "true".utf8 : "false".utf8
    }

    /// Inlinable so the caller's module specialises it: unspecialised, each call looked up type metadata at run time.
    @inlinable
    public mutating func add<Value: RawRepresentable<String>>(_ key: StaticString, _ value: Value?) {
        add(key, value?.rawValue)
    }

    public mutating func add(_ key: StaticString, _ value: [String: String]) {
        self.key(key)
        bytes.append(UInt8(ascii: "{"))
        // Pairs sorted, not keys then looked up again: no hashing of every key a second time.
        for (index, pair) in value.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONString.appendQuoted(pair.key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONString.appendQuoted(pair.value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func add(_ key: StaticString, strings: some Sequence<String>) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONString.appendQuoted(string, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A value already written as JSON.
    public mutating func add(_ key: StaticString, json: String) {
        self.key(key)
        bytes += json.utf8
    }

    /// An array of values already written as JSON.
    public mutating func add(_ key: StaticString, jsonElements elements: some Sequence<String>) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += element.utf8
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public var text: String {
        var bytes = bytes
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func key(_ key: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }
}

/// A value the journal writes through `CanonicalJSONObject` rather than `JSONEncoder`.
public protocol CanonicalJSONEncodable: Encodable {
    var canonicalJSON: String { get }
}
