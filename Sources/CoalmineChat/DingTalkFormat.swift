import CoalmineCore
import Crypto
import Foundation

/// DingTalk custom robot: an actionCard with buttons. With a secret, the query carries `timestamp` (ms) and
/// `sign = urlencode(base64(HMAC-SHA256(key: secret, message: "timestamp\nsecret")))`.
public struct DingTalkFormat: ChatFormat {
    let secret: String?
    let clock: @Sendable () -> Int64

    /// DingTalk allows 20 messages a minute per robot.
    public var pace: Duration { .seconds(3) }

    public init(secret: String?, millisecondsSinceEpoch clock: @escaping @Sendable () -> Int64) {
        self.secret = secret
        self.clock = clock
    }

    static func sign(timestamp: Int64, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp)\n\(secret)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let base64 = Data(mac).base64EncodedString()
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return base64.addingPercentEncoding(withAllowedCharacters: allowed) ?? base64
    }

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        var text = "### \(ChatText.escapeMarkdown(message.title))\n\n"
        text += message.facts.map { "- **\($0.label)**: \(ChatText.escapeMarkdown($0.value))" }.joined(separator: "\n")
        text += "\n\n[Status](\(message.statusURL))"
        var buttons: [[String: Any]] = message.links.map { ["title": $0.title, "actionURL": $0.url] }
        if buttons.isEmpty { buttons = [["title": "Status", "actionURL": message.statusURL]] }
        let payload: [String: Any] = [
            "msgtype": "actionCard",
            "actionCard": [
                "title": TextLimit.characters(ChatText.withoutBareLinks(message.title), 100), "text": TextLimit.utf8Bytes(text, 18_000),
                "btnOrientation": "0", "btns": buttons,
            ],
        ]
        var target = url
        if let secret {
            let timestamp = clock()
            target += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(Self.sign(timestamp: timestamp, secret: secret))"
        }
        return ChatRequest(url: target, body: json(payload))
    }

    /// DingTalk answers 200 with a non-zero `errcode` on failure (130101: too many messages).
    public func failure(in reply: ChatReply) -> DeliveryFailure? {
        guard let code = reply.json?["errcode"] as? Int, code != 0 else { return nil }
        let text = reply.json?["errmsg"] as? String ?? ""
        return code == 130101 ? .transient("DingTalk errcode \(code): \(text)", retryAfter: .seconds(60))
            : .permanent("DingTalk errcode \(code): \(text)")
    }
}
