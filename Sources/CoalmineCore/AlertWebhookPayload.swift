/// The body Alertmanager (version "4") and Grafana's webhook contact point (version "1") POST. Only the fields
/// Coalmine uses are read; unknown fields, which newer senders add, are ignored.
public struct AlertWebhookPayload: Decodable, Equatable, Sendable {
    public var version: String?
    public var alerts: [Alert]

    public init(version: String?, alerts: [Alert]) {
        self.version = version
        self.alerts = alerts
    }

    public struct Alert: Decodable, Equatable, Sendable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]?
        public var startsAt: String
        public var endsAt: String?
        public var fingerprint: String?

        public init(
            status: String, labels: [String: String], annotations: [String: String]?, startsAt: String,
            endsAt: String?, fingerprint: String?
        ) {
            self.status = status
            self.labels = labels
            self.annotations = annotations
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.fingerprint = fingerprint
        }
    }
}
