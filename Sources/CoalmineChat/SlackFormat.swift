import CoalmineCore
/// Slack incoming webhook: Block Kit with link buttons. Unfurling is off: Slack would fetch every link for a
/// preview (harmless for action links, whose GET never acts, but noisy).
public struct SlackFormat: ChatFormat {
    public var pace: Duration { .seconds(1) }

    public init() {}

    public func request(for message: NoticeMessage, to url: String) -> ChatRequest {
        // Each fact a label (ours, bold) beside its value as plain_text: mrkdwn has no escape for `*`, `_`, `~` or
        // backticks, so alert text goes where Slack reads no markup at all.
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": TextLimit.characters(ChatText.escapeAngles(message.title), 150), "emoji": false]]
        ]
        blocks += message.facts.map { fact in
            [
                "type": "section",
                "fields": [
                    ["type": "mrkdwn", "text": "*\(fact.label)*", "verbatim": true],
                    // Slack reads `&`, `<` and `>` as its control characters even here.
                    ["type": "plain_text", "text": TextLimit.characters(ChatText.escapeAngles(fact.value), 2000), "emoji": false],
                ],
            ]
        }
        var buttons: [[String: Any]] = message.links.map { link in
            var button: [String: Any] = [
                "type": "button", "text": ["type": "plain_text", "text": link.title], "url": link.url,
                "action_id": link.action.rawValue,
            ]
            if link.action == .rollback { button["style"] = "danger" }
            if link.action == .approve || link.action == .promote { button["style"] = "primary" }
            return button
        }
        buttons.append([
            "type": "button", "text": ["type": "plain_text", "text": "Status"], "url": message.statusURL,
            "action_id": "status",
        ])
        blocks.append(["type": "actions", "elements": buttons])
        let payload: [String: Any] = [
            "text": TextLimit.characters(ChatText.escapeAngles(message.title), 3000), "blocks": blocks,
            "unfurl_links": false, "unfurl_media": false,
        ]
        return ChatRequest(url: url, body: json(payload))
    }

    /// Slack answers `ok` as text; anything else in a 200 is an error such as `invalid_blocks`.
    public func failure(in reply: ChatReply) -> DeliveryFailure? {
        let text = String(decoding: reply.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text == "ok" || text.isEmpty ? nil : .permanent("Slack answered \(text)")
    }
}
