import CoalmineCore

/// What became of one try of an effect. The one name for it: the outbox row's status, the `effect-result` entry
/// and the machine's feedback all follow from it.
public enum EffectOutcome: Equatable, Sendable {
    /// The router read back these weights.
    case applied(WeightSplit)
    case delivered
    /// A newer weight change for the same rollout made this one moot; it was not tried.
    case superseded
    /// Failed; tried again at `at`.
    case retrying(error: String, at: Timestamp)
    /// Failed for good (a 4xx from a chat API, a removed rollout or notifier, retries given up): never tried again.
    case failed(error: String)

    /// The `status` of its `effect-result` entry, as the history API spells it.
    public var status: String {
        switch self {
        case .applied: "applied"
        case .delivered: "delivered"
        case .superseded: "superseded"
        case .retrying: "retrying"
        case .failed: "failed"
        }
    }

    /// Whether the effect stays in the outbox to be tried again.
    public var isPending: Bool {
        if case .retrying = self { return true }
        return false
    }

    public var error: String? {
        switch self {
        case .retrying(let error, _), .failed(let error): error
        case .applied, .delivered, .superseded: nil
        }
    }
}

extension EffectOutcome {
    /// The outbox's `status` column: whether the row still waits, and if not how it ended.
    var rowStatus: String {
        switch self {
        case .applied, .delivered: "done"
        case .retrying: "pending"
        case .superseded: "superseded"
        case .failed: "failed"
        }
    }
}
