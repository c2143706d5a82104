/// Escaping for chat formats. Alert annotations are written by anyone who can write a
/// Prometheus rule: they must read as text, never as markup, mentions or links.
enum ChatText {
    /// For formats that read `&`, `<` and `>` as markup (Slack mrkdwn, Google Chat, Feishu lark_md).
    static func escapeAngles(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// For Markdown formats (DingTalk, WeCom, Discord, Teams): backslash before every character Markdown reads,
    /// and angle brackets as entities.
    static func escapeMarkdown(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "-", "!", "|", "~", ">", "<", "@":
                escaped += "\\\(character)"
            case "&": escaped += "&amp;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
