/// A parsed config document, before any meaning is given to it.
///
/// The YAML adapter builds it; `ConfigReader` reads it. Keeping the tree here lets every config rule live in
/// the core and be tested without a YAML parser.
public indirect enum ConfigValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    /// Keys keep their order so problems are reported in the order the user wrote them.
    case map([ConfigEntry])

    /// How a value is named in an error message.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .list: "a list"
        case .map: "a mapping"
        }
    }
}

public struct ConfigEntry: Equatable, Sendable {
    public var key: String
    public var value: ConfigValue

    public init(_ key: String, _ value: ConfigValue) {
        self.key = key
        self.value = value
    }
}

/// One thing wrong with a config, at the key path where it is.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible, Error {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem found in a config; `serve` refuses to start while there is one.
public struct ConfigProblems: Error, Equatable, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
