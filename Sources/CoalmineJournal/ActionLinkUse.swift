import CoalmineCore

/// A signed action link that has been used. Links act once: the nonce is recorded in the same transaction as the
/// action it performed.
public struct ActionLinkUse: Codable, Equatable, Sendable {
    public var nonce: String
    public var rollout: String
    public var action: HumanAction
    public var actor: String
    public var usedAt: Timestamp

    public init(nonce: String, rollout: String, action: HumanAction, actor: String, usedAt: Timestamp) {
        self.nonce = nonce
        self.rollout = rollout
        self.action = action
        self.actor = actor
        self.usedAt = usedAt
    }
}
