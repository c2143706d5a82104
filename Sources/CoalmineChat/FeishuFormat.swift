import CoalmineCore
import Crypto
import Foundation

/// Feishu (and Lark, the same API on another host) custom bot: an interactive card with URL buttons. With a
/// secret, the body carries `timestamp` (seconds) and `sign = base64(HMAC-SHA256(key: "timestamp\nsecret",
/// message: empty))`.
public struct FeishuFormat: ChatFormat {
    let secret: String?
    let clock: @Sendable () -> Int64

    public var pace: Duration { .milliseconds(600) }

    public init(secret: String?, secondsSinceEpoch clock: @escaping @Sendable () -> Int64) {
        self.secret = secret
        self.clock = clock
    }

    static func sign(timestamp: Int64, secret: String) -> String {
        let key = SymmetricKey(data: Data("\(timestamp)\n\(secret)".utf8))
        return Data(HMAC<SHA256>.authenticationCode(for: Data(), using: key)).base64EncodedString()
    }

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        let facts = message.facts.map { "\($0.label): \(ChatText.withoutBareLinks($0.value))" }.joined(separator: "\n")
        var buttons: [[String: Any]] = message.links.map { link in
            [
                "tag": "button", "text": ["tag": "plain_text", "content": link.title], "url": link.url,
                "type": link.action == .rollback ? "danger" : "primary",
            ]
        }
        buttons.append(["tag": "button", "text": ["tag": "plain_text", "content": "Status"], "url": message.statusURL, "type": "default"])
        let template =
            switch message.severity {
            case .critical: "red"
            case .warning: "orange"
            case .good: "green"
            case .info: "blue"
            }
        var payload: [String: Any] = [
            "msg_type": "interactive",
            "card": [
                "config": ["wide_screen_mode": true],
                "header": [
                    "title": ["tag": "plain_text", "content": TextLimit.characters(ChatText.withoutBareLinks(message.title), 200)],
                    "template": template,
                ],
                // plain_text, not lark_md: annotation text must not become markup or @-mentions.
                "elements": [
                    ["tag": "div", "text": ["tag": "plain_text", "content": TextLimit.characters(facts, 8000)]],
                    ["tag": "action", "actions": buttons],
                ],
            ],
        ]
        if let secret {
            let timestamp = clock()
            payload["timestamp"] = String(timestamp)
            payload["sign"] = Self.sign(timestamp: timestamp, secret: secret)
        }
        return ChatRequest(url: url, body: json(payload))
    }

    /// Feishu answers 200 with a non-zero `code` on failure (19021: bad signature).
    public func failure(in reply: ChatReply) -> DeliveryFailure? {
        guard let code = (reply.json?["code"] ?? reply.json?["StatusCode"]) as? Int, code != 0 else { return nil }
        let text = reply.json?["msg"] as? String ?? reply.json?["StatusMessage"] as? String ?? ""
        // 11232 is Feishu's rate limit; everything else is a problem with the request or the bot.
        return code == 11232 ? .transient("Feishu code \(code): \(text)") : .permanent("Feishu code \(code): \(text)")
    }
}
