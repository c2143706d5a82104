/// Cuts text that is longer than a limit, and says so: alert annotations can be any length, and no message or
/// page needs all of it.
public enum TextLimit {
    /// Appended where text was cut. No chat format escapes any of its characters, so it reads the same everywhere.
    public static let marker = " … truncated"

    /// At most `limit` characters, the marker included.
    public static func characters(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - marker.count))) + marker
    }

    /// At most `limit` UTF-8 bytes, the marker included, cut on a character boundary (WeCom and DingTalk count
    /// bytes).
    public static func utf8Bytes(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        let budget = limit - marker.utf8.count
        for character in text {
            if result.utf8.count + character.utf8.count > budget { break }
            result.append(character)
        }
        return result + marker
    }
}
