/// One rollout from the config: what to shift traffic on, which alerts belong to it, who hears about it.
public struct RolloutSpec: Equatable, Sendable {
    public var name: String
    public var namespace: String
    public var virtualService: String
    /// The `http[]` route name; nil means the one route that holds both subsets.
    public var route: String?
    public var stableSubset: String
    public var canarySubset: String
    public var alerts: AlertMatching
    /// Names of entries in `notifiers:`.
    public var notify: [String]
    public var policy: RolloutPolicy

    public init(
        name: String, namespace: String, virtualService: String, route: String? = nil,
        stableSubset: String, canarySubset: String, alerts: AlertMatching = AlertMatching(),
        notify: [String] = [], policy: RolloutPolicy = RolloutPolicy()
    ) {
        self.name = name
        self.namespace = namespace
        self.virtualService = virtualService
        self.route = route
        self.stableSubset = stableSubset
        self.canarySubset = canarySubset
        self.alerts = alerts
        self.notify = notify
        self.policy = policy
    }
}

/// Which alerts belong to a rollout and what role each plays.
public struct AlertMatching: Equatable, Sendable {
    /// All of these labels must match. Empty matches nothing: only `coalmine_rollout` then selects alerts.
    public var matchLabels: [String: String]
    /// The first entry whose labels all match gives an alert without a `coalmine_role` label its role.
    public var roles: [RoleRule]

    public init(matchLabels: [String: String] = [:], roles: [RoleRule] = []) {
        self.matchLabels = matchLabels
        self.roles = roles
    }
}

public struct RoleRule: Equatable, Sendable {
    public var match: [String: String]
    public var role: AlertRole

    public init(match: [String: String], role: AlertRole) {
        self.match = match
        self.role = role
    }
}
