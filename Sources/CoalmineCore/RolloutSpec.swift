/// One rollout from the config: what to shift traffic on, which alerts belong to it, who hears about it.
public struct RolloutSpec: Equatable, Sendable {
    /// Which API holds the weights.
    public enum Router: String, Equatable, Sendable, CaseIterable {
        /// An Istio VirtualService's `http[].route[]` destinations, by subset.
        case istio
        /// A Gateway API HTTPRoute's `rules[].backendRefs[]`, by Service.
        case gatewayAPI = "gateway-api"
    }

    public var name: String
    public var namespace: String
    public var router: Router
    /// The VirtualService (istio) or HTTPRoute (gateway-api) that holds the weights.
    public var object: String
    /// The http route (istio) or rule (gateway-api) by name; nil means the one that holds both versions.
    public var route: String?
    /// The stable version: a subset (istio) or a Service (gateway-api).
    public var stable: String
    /// The canary version: a subset (istio) or a Service (gateway-api).
    public var canary: String
    public var alerts: AlertMatching
    /// Names of entries in `notifiers:`.
    public var notify: [String]
    public var policy: RolloutPolicy
    /// The metrics and gates Coalmine writes Prometheus rules for (`coalmine rules`).
    public var signals: RolloutSignals

    public init(
        name: String, namespace: String, router: Router = .istio, object: String, route: String? = nil,
        stable: String, canary: String, alerts: AlertMatching = AlertMatching(), notify: [String] = [],
        policy: RolloutPolicy = RolloutPolicy(), signals: RolloutSignals? = nil
    ) {
        self.signals =
            signals ?? RolloutSignals(metrics: MetricsSelector(service: name, stableVersion: stable, canaryVersion: canary))
        self.name = name
        self.namespace = namespace
        self.router = router
        self.object = object
        self.route = route
        self.stable = stable
        self.canary = canary
        self.alerts = alerts
        self.notify = notify
        self.policy = policy
    }

    /// The Kubernetes kind of `object`.
    public var objectKind: String { router == .istio ? "VirtualService" : "HTTPRoute" }
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
