/// What an alert means to a rollout.
public enum AlertRole: String, Codable, Sendable, CaseIterable {
    /// The circuit breaker: freeze the canary and page a human.
    case breaker
    /// A quality gate: pause progression until it resolves.
    case gate
    /// The canary cannot serve: roll back at once.
    case abort
}
