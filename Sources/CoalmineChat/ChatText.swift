/// Escaping for chat formats. Alert annotations are written by anyone who can write a
/// Prometheus rule: they must read as text, never as markup, mentions or links.
enum ChatText {
    /// A zero-width space: invisible, and it ends the word a chat app's link finder is reading.
    static let linkBreak: Character = "\u{200B}"

    /// Text with no link a chat app would make by itself (for plain-text fields, which chat apps still scan): `://` and the dots of host names (`evil.example`,
    /// `www.evil.example`) get a zero-width space, so they read the same and link nowhere. The links Coalmine makes
    /// (buttons, `[Roll back](…)`) never pass through here.
    static func withoutBareLinks(_ text: String) -> String {
        guard text.contains(".") || text.contains("://") else { return text }
        let characters = Array(text)
        var result = ""
        for (index, character) in characters.enumerated() {
            result.append(character)
            let before = index > 0 ? characters[index - 1] : nil
            let after = index + 1 < characters.count ? characters[index + 1] : nil
            // `://` becomes `:/​/`; a dot between a letter or digit and a letter gets the break after it.
            let schemeSlash = character == "/" && before == ":" && after == "/"
            let hostDot = character == "." && (before?.isLetter == true || before?.isNumber == true) && after?.isLetter == true
            if schemeSlash || hostDot { result.append(linkBreak) }
        }
        return result
    }

    /// For formats that read `&`, `<` and `>` as markup (Slack's fallback text, Google Chat).
    static func escapeAngles(_ text: String) -> String {
        withoutBareLinks(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// For Markdown formats (DingTalk, WeCom, Discord, Teams): backslash before every character Markdown reads,
    /// and angle brackets as entities.
    static func escapeMarkdown(_ text: String) -> String {
        var escaped = ""
        for character in withoutBareLinks(text) {
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
