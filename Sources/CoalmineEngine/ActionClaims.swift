import CoalmineCore

/// What a signed action link stands for: one action, on one rollout, in one run, for the state the message was
/// about, until it expires. The nonce makes each link single-use.
public struct ActionClaims: Codable, Equatable, Sendable {
    public var rollout: String
    public var run: Int
    public var action: HumanAction
    /// The rollout's state version when the link was issued; once the rollout moves on, the link is stale.
    public var stateVersion: Int
    public var expiresAt: Timestamp
    /// When the link was made; links made before this field existed have none. A link never lasts longer than
    /// `linkTTL` from it, whatever expiry it carries.
    public var issuedAt: Timestamp?
    public var nonce: String
    /// The notifier whose message carried the link; the actor when no identity header is configured.
    public var notifier: String

    public init(
        rollout: String, run: Int, action: HumanAction, stateVersion: Int, expiresAt: Timestamp, issuedAt: Timestamp? = nil,
        nonce: String, notifier: String
    ) {
        self.rollout = rollout
        self.run = run
        self.action = action
        self.stateVersion = stateVersion
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.nonce = nonce
        self.notifier = notifier
    }
}
