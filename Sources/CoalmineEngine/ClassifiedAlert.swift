import CoalmineCore
import CoalmineJournal

/// An alert of a delivery with everything that depends only on the config worked out: the rollouts it belongs to
/// and its role in each (from all its labels), what is kept of it within `limits`, and its `alert-received` body
/// for each of those rollouts.
struct ClassifiedAlert: Sendable {
    var alert: AlertObservation
    var matches: [AlertClassifier.Match]
    var kept: AlertObservation
    /// One body per match, in the same order.
    var bodies: [String]

    init(_ alert: AlertObservation, source: String, classifier: AlertClassifier, limits: AlertLimits) {
        self.alert = alert
        matches = classifier.matches(for: alert)
        guard !matches.isEmpty else {
            kept = alert
            bodies = []
            return
        }
        // Classified on every label above; kept, journaled and shown within the limits.
        let (kept, labelsNotKept) = alert.bounded(by: limits)
        self.kept = kept
        // What `JournalJSON.encode` writes for it, without asking at run time whether it writes itself.
        bodies = matches.map { match in
            AlertReceivedBody(
                source: source, status: kept.status, alertname: kept.name, role: match.role,
                fingerprint: kept.fingerprint, startsAt: kept.startsAt, labels: kept.labels,
                annotations: kept.annotations, labelsNotKept: labelsNotKept > 0 ? labelsNotKept : nil
            ).canonicalJSON
        }
    }
}
