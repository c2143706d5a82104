import CoalmineCore
/// WeCom (WeChat Work) group robot: markdown, links inline (robots have no buttons).
public struct WeComFormat: ChatFormat {
    /// WeCom allows 20 messages a minute per robot.
    public var pace: Duration { .seconds(3) }

    public init() {}

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        let color = message.severity == .critical ? "warning" : (message.severity == .good ? "info" : "comment")
        var lines = ["**<font color=\"\(color)\">\(ChatText.escapeMarkdown(message.title))</font>**"]
        lines += message.facts.map { "> \($0.label): \(ChatText.escapeMarkdown($0.value))" }
        let actions = message.links.map { "[\($0.title)](\($0.url))" } + ["[Status](\(message.statusURL))"]
        let footer = "\n" + actions.joined(separator: "  ")
        // The links must survive truncation: the body is cut, never the actions. WeCom counts 4096 bytes.
        let body = TextLimit.utf8Bytes(lines.joined(separator: "\n"), 4096 - footer.utf8.count)
        return ChatRequest(url: url, body: json(["msgtype": "markdown", "markdown": ["content": body + footer]]))
    }

    public func failure(in reply: ChatReply) -> DeliveryFailure? {
        guard let code = reply.json?["errcode"] as? Int, code != 0 else { return nil }
        let text = reply.json?["errmsg"] as? String ?? ""
        return code == 45009 ? .transient("WeCom errcode \(code): \(text)", retryAfter: .seconds(60))
            : .permanent("WeCom errcode \(code): \(text)")
    }
}
