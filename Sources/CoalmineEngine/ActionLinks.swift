import CoalmineCore
import Crypto
import Foundation

/// Makes the links a message offers: one signed link per decision allowed now, and the status page.
public struct ActionLinks: Sendable {
    public let publicURL: String
    public let signer: ActionSigner

    /// The decisions a message offers as buttons, in the order they are shown.
    public static let offered: [HumanAction] = [.rollback, .resume, .approve, .promote]

    public init(publicURL: String, signer: ActionSigner) {
        self.publicURL = publicURL
        self.signer = signer
    }

    public func statusURL(of rollout: String) -> String {
        "\(publicURL)/rollouts/\(rollout)"
    }

    /// Fresh links for the decisions `notice` allows, each with its own nonce, bound to the notice's state version.
    public func links(for notice: RolloutNotice, rollout: String, notifier: String, at now: Timestamp) -> [ActionLink] {
        let expiresAt = now + signer.linkTTL
        return Self.offered.filter(notice.allowedActions.contains).map { action in
            let claims = ActionClaims(
                rollout: rollout, run: notice.run, action: action, stateVersion: notice.stateVersion,
                expiresAt: expiresAt, issuedAt: now, nonce: Self.nonce(), notifier: notifier)
            return ActionLink(action: action, url: "\(publicURL)/actions/\(signer.sign(claims))", expiresAt: expiresAt)
        }
    }

    static func nonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }
}
