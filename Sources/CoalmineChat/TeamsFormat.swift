import CoalmineCore
/// Microsoft Teams through a Workflows webhook: an Adaptive Card 1.4 with `Action.OpenUrl` buttons.
/// (Office 365 connectors are retired.)
public struct TeamsFormat: ChatFormat {
    public var pace: Duration { .milliseconds(250) }

    public init() {}

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        // Teams cards reject payloads over about 28 KB; each fact is bounded so the whole stays below that.
        let facts = message.facts.map { fact -> [String: Any] in
            ["title": fact.label, "value": TextLimit.characters(ChatText.escapeMarkdown(fact.value), 2000)]
        }
        var actions: [[String: Any]] = message.links.map { link in
            ["type": "Action.OpenUrl", "title": link.title, "url": link.url]
        }
        actions.append(["type": "Action.OpenUrl", "title": "Status", "url": message.statusURL])
        let card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [
                [
                    "type": "TextBlock", "text": TextLimit.characters(ChatText.escapeMarkdown(message.title), 500),
                    "weight": "Bolder", "size": "Medium", "wrap": true,
                    "color": message.severity == .critical ? "Attention" : "Default",
                ],
                ["type": "FactSet", "facts": facts],
            ],
            "actions": actions,
        ]
        let payload: [String: Any] = [
            "type": "message",
            "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "content": card]],
        ]
        return ChatRequest(url: url, body: json(payload))
    }
}
