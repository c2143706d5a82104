import CoalmineCore

/// The JSON bodies of journal entries. Field names are part of the history API.
enum JournalBody {
    struct AlertReceived: Codable {
        var source: String
        var status: AlertObservation.Status
        var alertname: String
        var role: AlertRole
        var fingerprint: String
        var startsAt: String
        var labels: [String: String]
        var annotations: [String: String]
    }

    struct HumanAction: Codable {
        var action: CoalmineCore.HumanAction
        var actor: String
        var reason: String?
        var canaryVersion: String?
        var stableVersion: String?
    }

    struct Transition: Codable {
        var from: RolloutPhase
        var fromReason: PhaseReason?
        var to: RolloutPhase
        var toReason: PhaseReason?
        var actor: String
        var canaryWeight: Int
        var stableWeight: Int
        var state: RolloutState
    }

    struct DriftDetected: Codable {
        var intendedCanaryWeight: Int
        var intendedStableWeight: Int
        var observedCanaryWeight: Int
        var observedStableWeight: Int
    }

    struct EffectResult: Codable {
        enum Status: String, Codable {
            /// The router read back these weights.
            case applied
            case delivered
            /// Failed; will be tried again at `retryAt`.
            case retrying
            /// Failed for good (a 4xx from a chat API): not retried.
            case failed
            /// A newer weight change for the same rollout made this one moot.
            case superseded
        }
        var effectId: Int64
        var lane: String
        var status: Status
        var attempt: Int
        var canaryWeight: Int?
        var stableWeight: Int?
        var error: String?
        var retryAt: Timestamp?
    }
}

/// An outbox payload: the effect, and for a notice the notifier it goes to.
struct OutboxEffect: Codable {
    var effect: RolloutEffect
    var notifier: String?
}
