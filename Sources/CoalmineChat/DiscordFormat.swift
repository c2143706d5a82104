import CoalmineCore
/// Discord webhook: an embed with the facts and the links. Mentions are switched off so annotation text cannot
/// ping anyone.
public struct DiscordFormat: ChatFormat {
    public var pace: Duration { .milliseconds(500) }

    public init() {}

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        let color =
            switch message.severity {
            case .critical: 0xD0_3030
            case .warning: 0xE0_9000
            case .good: 0x2E_A043
            case .info: 0x3B_82F6
            }
        var fields: [[String: Any]] = message.facts.prefix(20).map { fact in
            ["name": fact.label, "value": TextLimit.characters(ChatText.escapeMarkdown(fact.value), 1000), "inline": false]
        }
        let links = message.links.map { "[\($0.title)](\($0.url))" } + ["[Status](\(message.statusURL))"]
        fields.append(["name": "Act", "value": links.joined(separator: " · "), "inline": false])
        let embed: [String: Any] = [
            "title": TextLimit.characters(ChatText.escapeMarkdown(message.title), 256), "color": color, "fields": fields,
            "timestamp": message.sentAt.rfc3339,
        ]
        let payload: [String: Any] = [
            "content": TextLimit.characters(ChatText.escapeMarkdown(message.title), 2000), "embeds": [embed],
            "allowed_mentions": ["parse": [String]()],
        ]
        return ChatRequest(url: url, body: json(payload))
    }
}
