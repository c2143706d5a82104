import CoalmineCore
/// Google Chat incoming webhook: a cardsV2 card with link buttons.
public struct GoogleChatFormat: ChatFormat {
    public var pace: Duration { .seconds(1) }

    public init() {}

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        let facts = message.facts.map { "<b>\(ChatText.escapeAngles($0.label))</b>: \(ChatText.escapeAngles($0.value))" }
            .joined(separator: "<br>")
        var buttons: [[String: Any]] = message.links.map { link in
            ["text": link.title, "onClick": ["openLink": ["url": link.url]]]
        }
        buttons.append(["text": "Status", "onClick": ["openLink": ["url": message.statusURL]]])
        let card: [String: Any] = [
            "header": ["title": TextLimit.characters(ChatText.withoutBareLinks(message.title), 200), "subtitle": message.rollout.namespace],
            "sections": [
                [
                    "widgets": [
                        ["textParagraph": ["text": TextLimit.characters(facts, 8000)]],
                        ["buttonList": ["buttons": buttons]],
                    ]
                ]
            ],
        ]
        let payload: [String: Any] = [
            "text": TextLimit.characters(ChatText.escapeAngles(message.title), 4000),
            "cardsV2": [["cardId": "coalmine-\(message.rollout.name)", "card": card]],
        ]
        return ChatRequest(url: url, body: json(payload))
    }
}
