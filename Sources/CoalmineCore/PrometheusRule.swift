/// A Prometheus recording or alerting rule, as `coalmine rules` writes it.
public enum PrometheusRule: Equatable, Sendable {
    case record(name: String, expr: String, labels: [(String, String)])
    case alert(name: String, expr: String, for: Duration?, labels: [(String, String)], annotations: [(String, String)])

    public static func == (lhs: PrometheusRule, rhs: PrometheusRule) -> Bool {
        lhs.lines == rhs.lines
    }

    /// The rule as YAML lines of a `rules:` list item, unindented.
    var lines: [String] {
        var lines: [String] = []
        func map(_ key: String, _ pairs: [(String, String)]) {
            guard !pairs.isEmpty else { return }
            lines.append("  \(key):")
            for (name, value) in pairs { lines.append("    \(name): \(PrometheusRuleFile.quote(value))") }
        }
        switch self {
        case .record(let name, let expr, let labels):
            lines.append("- record: \(name)")
            lines.append("  expr: \(PrometheusRuleFile.quote(expr))")
            map("labels", labels)
        case .alert(let name, let expr, let duration, let labels, let annotations):
            lines.append("- alert: \(name)")
            lines.append("  expr: \(PrometheusRuleFile.quote(expr))")
            if let duration { lines.append("  for: \(DurationText.format(duration))") }
            map("labels", labels)
            map("annotations", annotations)
        }
        return lines
    }
}

/// A named group of rules: one per rollout.
public struct PrometheusRuleGroup: Equatable, Sendable {
    public var name: String
    public var rules: [PrometheusRule]
}
