import CoalmineCore

/// A rollout as the operator API shows it. Field names are the API contract.
public struct RolloutView: Codable, Equatable, Sendable {
    public var name: String
    public var namespace: String
    public var state: RolloutPhase
    public var reason: PhaseReason?
    public var run: Int
    public var step: Int
    public var canaryWeight: Int
    public var stableWeight: Int
    /// Coalmine's header route, while one sends matching requests to the canary.
    public var headerRoute: HeaderMatch?
    /// The traffic in words: `internal (x-user-group=internal)` in a header stage, else `stable/canary 95/5`.
    public var traffic: String
    public var since: Timestamp
    public var nextStepAt: Timestamp?
    public var firingAlerts: [FiringAlertView]
    public var canaryVersion: String?
    public var stableVersion: String?
    public var allowedActions: [HumanAction]
    public var stateVersion: Int

    /// `lastSeen`: when a delivery last carried each firing alert, by fingerprint (else, or if it was received
    /// later, as a new episode is, when it was received).
    init(spec: RolloutSpec, state: RolloutState, allowedActions: [HumanAction], lastSeen: [String: Timestamp] = [:]) {
        name = spec.name
        namespace = spec.namespace
        self.state = state.phase
        reason = state.reason
        run = state.run
        step = state.step
        canaryWeight = state.canaryWeight
        stableWeight = state.stableWeight
        headerRoute = state.headerRoute
        traffic = state.trafficText
        since = state.since
        nextStepAt = state.nextStepAt
        firingAlerts = state.firingAlerts.map {
            FiringAlertView(alert: $0, lastSeenAt: max(lastSeen[$0.fingerprint] ?? $0.receivedAt, $0.receivedAt))
        }
        canaryVersion = state.canaryVersion
        stableVersion = state.stableVersion
        self.allowedActions = allowedActions
        stateVersion = state.version
    }
}
