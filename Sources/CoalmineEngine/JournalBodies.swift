import CoalmineCore
import CoalmineJournal

/// The JSON bodies of journal entries. Field names are part of the history API.
enum JournalBody {
    struct HumanAction: Codable {
        var action: CoalmineCore.HumanAction
        var actor: String
        var reason: String?
        var canaryVersion: String?
        var stableVersion: String?
    }

    /// A human's clearing of a firing alert, journaled as a `human-action` with `action: clear-alert`.
    struct AlertCleared: Codable {
        var action = "clear-alert"
        var actor: String
        var reason: String
        var fingerprint: String
        var alertname: String
        var startsAt: String
    }

    struct Transition: Codable {
        var from: RolloutPhase
        var fromReason: PhaseReason?
        var to: RolloutPhase
        var toReason: PhaseReason?
        var actor: String
        var canaryWeight: Int
        var stableWeight: Int
        /// The state after the transition, with at most `limits.firingAlertsShown` of its firing alerts.
        var state: RolloutState
        /// Firing alerts left out of `state`; absent when none were.
        var firingAlertsNotShown: Int?
    }

    struct DriftDetected: Codable {
        var intendedCanaryWeight: Int
        var intendedStableWeight: Int
        var observedCanaryWeight: Int
        var observedStableWeight: Int
        /// The header routes, where either is set.
        var intendedHeaderRoute: HeaderMatch?
        var observedHeaderRoute: HeaderMatch?
    }
}

// Fields in the order of their keys' UTF-8 bytes; see `CanonicalJSONObject`.

extension JournalBody.Transition: CanonicalJSONEncodable {
    var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("actor", actor)
        object.add("canaryWeight", canaryWeight)
        object.add("firingAlertsNotShown", firingAlertsNotShown)
        object.add("from", from)
        object.add("fromReason", fromReason)
        object.add("stableWeight", stableWeight)
        object.add("state", json: state.canonicalJSON)
        object.add("to", to)
        object.add("toReason", toReason)
        return object.text
    }
}
