import CoalmineCore

/// The body of an `alert-received` entry. The engine writes it; the embedded store reads it back, because a firing
/// alert made from it is kept as a reference to the entry instead of a copy. Field names are part of the history API.
public struct AlertReceivedBody: Codable, Sendable {
    public var source: String
    public var status: AlertObservation.Status
    public var alertname: String
    public var role: AlertRole
    public var fingerprint: String
    public var startsAt: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Labels past `limits.labelsPerAlert` that were not kept; absent when all were.
    public var labelsNotKept: Int?

    public init(
        source: String, status: AlertObservation.Status, alertname: String, role: AlertRole, fingerprint: String,
        startsAt: String, labels: [String: String], annotations: [String: String], labelsNotKept: Int?
    ) {
        self.source = source
        self.status = status
        self.alertname = alertname
        self.role = role
        self.fingerprint = fingerprint
        self.startsAt = startsAt
        self.labels = labels
        self.annotations = annotations
        self.labelsNotKept = labelsNotKept
    }

    /// The firing alert the rollout machine makes from the alert this body records.
    func firingAlert(receivedAt: Timestamp) -> FiringAlert {
        let observation = AlertObservation(
            status: status, fingerprint: fingerprint, startsAt: startsAt, labels: labels, annotations: annotations)
        return FiringAlert(observation: observation, role: role, receivedAt: receivedAt)
    }
}

// Fields in the order of their keys' UTF-8 bytes; see `CanonicalJSONObject`.
extension AlertReceivedBody: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("alertname", alertname)
        object.add("annotations", annotations)
        object.add("fingerprint", fingerprint)
        object.add("labels", labels)
        object.add("labelsNotKept", labelsNotKept)
        object.add("role", role)
        object.add("source", source)
        object.add("startsAt", startsAt)
        object.add("status", status)
        return object.text
    }
}
