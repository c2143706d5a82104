import CoalmineCore
import Foundation

extension JSONValue {
    /// Reads JSON text, as the Kubernetes API answers it; see `JSONValueParser`.
    public init(parsing data: Data) throws {
        self = try data.withUnsafeBytes { try JSONValue(parsing: $0) }
    }
}
