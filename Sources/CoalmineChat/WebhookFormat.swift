import CoalmineCore
import Crypto
import Foundation

/// The generic `webhook` notifier: the notice as versioned JSON (schema `coalmine.notice/v1`, documented in the
/// README), for PagerDuty bridges and custom bots. With a secret, `X-Coalmine-Signature: sha256=<hex>` is the
/// HMAC-SHA256 of the body.
public struct WebhookFormat: ChatFormat {
    let secret: String?

    public var pace: Duration { .zero }

    public init(secret: String?) {
        self.secret = secret
    }

    struct Payload: Encodable {
        var schema = "coalmine.notice/v1"
        var event: RolloutNotice.Kind
        var title: String
        var rollout: String
        var namespace: String
        var run: Int
        var state: RolloutPhase
        var reason: PhaseReason?
        var stateVersion: Int
        var canaryWeightBefore: Int
        var canaryWeightAfter: Int
        /// The header route sending matching requests to the canary after the change, if any.
        var headerRoute: HeaderMatch?
        var stableVersion: String?
        var canaryVersion: String?
        var actor: String
        var alert: FiringAlert?
        var detail: String?
        var since: Timestamp
        var autoRollbackAt: Timestamp?
        var actions: [ActionLink]
        var statusURL: String
        var sentAt: Timestamp
    }

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        let notice = message.notice
        let payload = Payload(
            event: notice.kind, title: message.title, rollout: message.rollout.name, namespace: message.rollout.namespace,
            run: notice.run, state: notice.phase, reason: notice.reason, stateVersion: notice.stateVersion,
            canaryWeightBefore: notice.canaryWeightBefore, canaryWeightAfter: notice.canaryWeightAfter,
            headerRoute: notice.headerRoute, stableVersion: notice.stableVersion, canaryVersion: notice.canaryVersion,
            actor: notice.actor,
            alert: notice.alert, detail: notice.detail, since: notice.since, autoRollbackAt: notice.autoRollbackAt,
            actions: message.links, statusURL: message.statusURL, sentAt: message.sentAt)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our own plain value types always encode.
        let body = try! encoder.encode(payload)
        var request = ChatRequest(url: url, body: body)
        if let secret {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            request.headers.append(("X-Coalmine-Signature", "sha256=" + mac.map { String(format: "%02x", $0) }.joined()))
        }
        return request
    }
}
