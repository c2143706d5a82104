/// Durations as people write them in config: `30s`, `5m`, `24h`, `2d`, `1h30m`, `500ms`.
///
/// The same units Prometheus and Alertmanager accept (less weeks and years), so a bake time reads the same
/// in Coalmine's config as in the rules that watch it.
public enum DurationText {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses `text`, or returns nil when it is not a sequence of `<integer><unit>` parts.
    public static func parse(_ text: String) -> Duration? {
        var remaining = Substring(text)
        var total: Int64 = 0
        guard !remaining.isEmpty else { return nil }
        while !remaining.isEmpty {
            let digits = remaining.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 12, let amount = Int64(digits) else { return nil }
            remaining = remaining.dropFirst(digits.count)
            let letters = remaining.prefix(while: { $0.isLetter })
            guard let unit = units.first(where: { $0.suffix == letters }) else { return nil }
            remaining = remaining.dropFirst(letters.count)
            // Too long to be a duration anyone means: refused, not a crash (`999999999999d` is past Int64).
            let (part, partOverflows) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, sumOverflows) = total.addingReportingOverflow(part)
            guard !partOverflows, !sumOverflows else { return nil }
            total = sum
        }
        return .milliseconds(total)
    }

    /// The shortest text that `parse` reads back to `duration`, e.g. `1h30m`.
    public static func format(_ duration: Duration) -> String {
        var remaining = duration.wholeMilliseconds
        if remaining == 0 { return "0s" }
        var text = remaining < 0 ? "-" : ""
        remaining = abs(remaining)
        for unit in units.reversed() where remaining >= unit.milliseconds {
            text += "\(remaining / unit.milliseconds)\(unit.suffix)"
            remaining %= unit.milliseconds
        }
        return text
    }
}
