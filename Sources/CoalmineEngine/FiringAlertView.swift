import CoalmineCore

/// A firing alert as the API shows it: the alert's fields, and when a delivery last carried it, so an alert whose
/// resolution was lost stands out (`receivedAt` long ago, `lastSeenAt` not moving).
@dynamicMemberLookup
public struct FiringAlertView: Codable, Equatable, Sendable {
    public var alert: FiringAlert
    public var lastSeenAt: Timestamp

    public init(alert: FiringAlert, lastSeenAt: Timestamp) {
        self.alert = alert
        self.lastSeenAt = lastSeenAt
    }

    public subscript<Value>(dynamicMember field: KeyPath<FiringAlert, Value>) -> Value { alert[keyPath: field] }

    private enum CodingKeys: String, CodingKey {
        case lastSeenAt
    }

    // One flat JSON object: the alert's fields beside `lastSeenAt`.
    public init(from decoder: any Decoder) throws {
        alert = try FiringAlert(from: decoder)
        lastSeenAt = try decoder.container(keyedBy: CodingKeys.self).decode(Timestamp.self, forKey: .lastSeenAt)
    }

    public func encode(to encoder: any Encoder) throws {
        try alert.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lastSeenAt, forKey: .lastSeenAt)
    }
}
