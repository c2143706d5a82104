/// Maps an alert to the rollouts it belongs to and the role it plays in each.
///
/// An alert belongs to a rollout when its `coalmine_rollout` label names it, or, lacking that label, when all of
/// the rollout's `alerts.matchLabels` match. Its role is its `coalmine_role` label, else the first matching
/// `alerts.roles` entry, else `gate`.
public struct AlertClassifier: Sendable {
    public static let rolloutLabel = "coalmine_rollout"
    public static let roleLabel = "coalmine_role"

    public let rollouts: [RolloutSpec]

    public init(rollouts: [RolloutSpec]) {
        self.rollouts = rollouts
    }

    public struct Match: Equatable, Sendable {
        public var rollout: String
        public var role: AlertRole

        public init(rollout: String, role: AlertRole) {
            self.rollout = rollout
            self.role = role
        }
    }

    public func matches(for alert: AlertObservation) -> [Match] {
        let owners: [RolloutSpec]
        if let named = alert.labels[Self.rolloutLabel] {
            owners = rollouts.filter { $0.name == named }
        } else {
            owners = rollouts.filter { spec in
                !spec.alerts.matchLabels.isEmpty && Self.labels(alert.labels, match: spec.alerts.matchLabels)
            }
        }
        return owners.map { Match(rollout: $0.name, role: role(of: alert, in: $0)) }
    }

    func role(of alert: AlertObservation, in spec: RolloutSpec) -> AlertRole {
        // An unknown coalmine_role value falls through to the configured rules rather than being dropped:
        // a misspelt label must still stop traffic growth (the default role is gate).
        if let labelled = alert.labels[Self.roleLabel].flatMap(AlertRole.init(rawValue:)) { return labelled }
        return spec.alerts.roles.first { Self.labels(alert.labels, match: $0.match) }?.role ?? .gate
    }

    static func labels(_ labels: [String: String], match wanted: [String: String]) -> Bool {
        wanted.allSatisfy { labels[$0.key] == $0.value }
    }
}
