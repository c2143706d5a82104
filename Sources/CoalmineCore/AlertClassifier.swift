/// Maps an alert to the rollouts it belongs to and the role it plays in each.
///
/// An alert belongs to a rollout when its `coalmine_rollout` label names it, or, lacking that label, when all of
/// the rollout's `alerts.matchLabels` match. Its role is its `coalmine_role` label, else the first matching
/// `alerts.roles` entry, else `gate`.
public struct AlertClassifier: Sendable {
    public static let rolloutLabel = "coalmine_rollout"
    public static let roleLabel = "coalmine_role"

    public let rollouts: [RolloutSpec]
    /// Rollouts by name, for `coalmine_rollout`.
    private let byName: [String: Int]
    /// Rollouts by one of their `matchLabels` (the first key in sorted order): label name, then value. An alert is
    /// checked only against the rollouts its own labels point to, not against every rollout.
    private let byLabel: [String: [String: [Int]]]

    public init(rollouts: [RolloutSpec]) {
        self.rollouts = rollouts
        byName = Dictionary(rollouts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var byLabel: [String: [String: [Int]]] = [:]
        for (position, spec) in rollouts.enumerated() {
            guard let key = spec.alerts.matchLabels.keys.min(), let value = spec.alerts.matchLabels[key] else { continue }
            byLabel[key, default: [:]][value, default: []].append(position)
        }
        self.byLabel = byLabel
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
        if let named = alert.labels[Self.rolloutLabel] {
            guard let owner = byName[named] else { return [] }
            return [match(alert, rollouts[owner])]
        }
        var candidates: [Int] = []
        for (key, rolloutsByValue) in byLabel {
            if let value = alert.labels[key], let positions = rolloutsByValue[value] { candidates += positions }
        }
        // Most alerts point to one rollout: no sorting or filtering into new arrays for them.
        if candidates.count > 1 { candidates.sort() }
        var matches: [Match] = []
        matches.reserveCapacity(candidates.count)
        for owner in candidates where Self.labels(alert.labels, match: rollouts[owner].alerts.matchLabels) {
            matches.append(match(alert, rollouts[owner]))
        }
        return matches
    }

    private func match(_ alert: AlertObservation, _ spec: RolloutSpec) -> Match {
        Match(rollout: spec.name, role: role(of: alert, in: spec))
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
