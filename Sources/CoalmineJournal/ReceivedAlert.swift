import CoalmineCore

/// What a firing alert is made from in an `alert-received` entry's body (written by the engine's
/// `JournalBody.AlertReceived`): the embedded store's firing-alert rows name that entry instead of holding a copy.
struct ReceivedAlert: Decodable {
    var status: AlertObservation.Status
    var alertname: String
    var role: AlertRole
    var fingerprint: String
    var startsAt: String
    var annotations: [String: String]

    /// The alert as the rollout machine made it from the same observation.
    func firingAlert(receivedAt: Timestamp) -> FiringAlert {
        let observation = AlertObservation(
            status: status, fingerprint: fingerprint, startsAt: startsAt, labels: ["alertname": alertname],
            annotations: annotations)
        return FiringAlert(observation: observation, role: role, receivedAt: receivedAt)
    }
}
