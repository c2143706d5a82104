/// One button of a message.
public struct ActionLink: Codable, Equatable, Sendable {
    public var action: HumanAction
    public var url: String
    public var expiresAt: Timestamp

    public init(action: HumanAction, url: String, expiresAt: Timestamp) {
        self.action = action
        self.url = url
        self.expiresAt = expiresAt
    }

    /// The button's words.
    public var title: String { action.buttonTitle }
}

extension HumanAction {
    /// How a button or page names the action.
    public var buttonTitle: String {
        switch self {
        case .rollback: "Roll back"
        case .resume: "Resume"
        case .approve: "Approve"
        case .promote: "Promote"
        case .start: "Start"
        case .pause: "Pause"
        }
    }
}
