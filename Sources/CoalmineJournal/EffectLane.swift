import CoalmineCore

/// A lane of the outbox: its effects run one at a time, in order. Each rollout's router is a lane and each
/// notifier is one, so a slow chat API delays only its own messages and never a weight change.
public enum EffectLane: Hashable, Sendable, CustomStringConvertible {
    case router(rollout: String)
    case notifier(String)

    /// As the history API spells it: `router:<rollout>` or `notifier:<name>`.
    public var description: String {
        switch self {
        case .router(let rollout): "router:\(rollout)"
        case .notifier(let name): "notifier:\(name)"
        }
    }

    /// What `coalmine_effect_failures_total{kind}` counts it as.
    public var kind: String {
        switch self {
        case .router: "router"
        case .notifier: "notifier"
        }
    }

    /// The second half of the stored pair (`lane_kind`, `lane_name`).
    var name: String {
        switch self {
        case .router(let rollout): rollout
        case .notifier(let name): name
        }
    }

    init?(kind: String, name: String) {
        switch kind {
        case "router": self = .router(rollout: name)
        case "notifier": self = .notifier(name)
        default: return nil
        }
    }
}
