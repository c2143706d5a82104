/// Escaping and length limits for chat formats. Alert annotations are written by anyone who can write a
/// Prometheus rule: they must read as text, never as markup, mentions or links.
enum ChatText {
    // No character any format escapes, so the marker reads the same everywhere.
    static let truncationMarker = " … truncated"

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

    /// At most `limit` characters, the marker included when cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - truncationMarker.count))) + truncationMarker
    }

    /// At most `limit` UTF-8 bytes (WeCom and DingTalk count bytes), cut on a character boundary.
    static func truncate(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        let budget = limit - truncationMarker.utf8.count
        for character in text {
            if result.utf8.count + character.utf8.count > budget { break }
            result.append(character)
        }
        return result + truncationMarker
    }
}
