/// The requests a header stage sends to the canary: those whose `header` equals `value` (`exact`) or matches it
/// as a regular expression (`regex`, read by Istio and the Gateway API's implementations, usually RE2).
public struct HeaderMatch: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case exact
        case regex
    }

    /// Lowercase: Istio matches only lowercase header names, and both APIs compare names case-insensitively.
    public var header: String
    public var kind: Kind
    public var value: String

    public init(header: String, kind: Kind, value: String) {
        self.header = header
        self.kind = kind
        self.value = value
    }

    /// `x-user-group=internal`, or `x-user-bucket~^[0-4]$` for a regular expression.
    public var description: String { "\(header)\(kind == .exact ? "=" : "~")\(value)" }

    /// Who the route sends to the canary, as every message and page names them: `internal (x-user-group=internal)`.
    public var audience: String { "internal (\(self))" }
}
