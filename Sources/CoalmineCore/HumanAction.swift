/// What an operator can ask of a rollout through the API, the CLI or a signed link.
/// The raw values are the API path segments.
public enum HumanAction: String, Codable, Sendable, CaseIterable {
    case start
    case pause
    case resume
    case approve
    case promote
    case rollback
}
