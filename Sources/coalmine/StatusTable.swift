import CoalmineEngine
import Foundation

/// Plain-text tables for people at a terminal.
enum StatusTable {
    static func render(_ views: [RolloutView]) -> String {
        let header = ["ROLLOUT", "STATE", "RUN", "STEP", "STABLE/CANARY", "SINCE", "NEXT STEP", "ALERTS", "ALLOWED"]
        return table([header] + views.map { view -> [String] in
            let state = view.reason.map { "\(view.state.rawValue) (\($0.rawValue))" } ?? view.state.rawValue
            return [
                view.name, state, String(view.run), view.step < 0 ? "-" : String(view.step + 1),
                view.headerRoute.map { view.canaryWeight == 0 ? $0.audience : "\(view.stableWeight)/\(view.canaryWeight) + \($0.audience)" }
                    ?? "\(view.stableWeight)/\(view.canaryWeight)",
                view.since.rfc3339,
                view.nextStepAt?.rfc3339 ?? "-",
                view.firingAlerts.isEmpty ? "-" : view.firingAlerts.map { "\($0.name)(\($0.role.rawValue))" }.joined(separator: ","),
                view.allowedActions.map(\.rawValue).joined(separator: ","),
            ]
        })
    }

    /// The firing alerts of one rollout with what `clear-alert` needs: the fingerprint, and whether deliveries
    /// still carry the alert.
    static func firingAlerts(of view: RolloutView) -> String {
        let header = ["FINGERPRINT", "ALERT", "ROLE", "STARTS AT", "RECEIVED AT", "LAST SEEN AT"]
        return table([header] + view.firingAlerts.map { alert in
            [alert.fingerprint, alert.name, alert.role.rawValue, alert.startsAt, alert.receivedAt.rfc3339, alert.lastSeenAt.rfc3339]
        })
    }

    /// Columns padded to their widest cell.
    private static func table(_ table: [[String]]) -> String {
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { column, cell in
                cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func historyLine(_ entry: [String: Any]) -> String {
        let sequence = entry["sequence"].map { "\($0)" } ?? "?"
        let time = entry["recordedAt"] as? String ?? "?"
        let kind = entry["kind"] as? String ?? "?"
        let body = entry["body"] as? [String: Any] ?? [:]
        let summary: String
        switch kind {
        case "transition":
            summary = "\(body["from"] ?? "?") → \(body["to"] ?? "?")\((body["toReason"] as? String).map { " (\($0))" } ?? "")"
                + " weights \(body["stableWeight"] ?? "?")/\(body["canaryWeight"] ?? "?") by \(body["actor"] ?? "?")"
        case "alert-received":
            summary = "\(body["status"] ?? "?") \(body["alertname"] ?? "?") (\(body["role"] ?? "?")) from \(body["source"] ?? "?")"
        case "human-action":
            summary = "\(body["action"] ?? "?") by \(body["actor"] ?? "?")\((body["reason"] as? String).map { ": \($0)" } ?? "")"
        case "effect-requested":
            let request = body["request"] as? [String: Any]
            let effect = (request?["effect"] as? [String: Any])?.keys.first ?? "?"
            summary = "#\(body["effectId"] ?? "?") \(effect) on \(body["lane"] ?? "?")"
        case "effect-result":
            var text = "#\(body["effectId"] ?? "?") \(body["status"] ?? "?") on \(body["lane"] ?? "?")"
            if let canary = body["canaryWeight"] { text += " read back \(body["stableWeight"] ?? "?")/\(canary)" }
            if let error = body["error"] { text += ": \(error)" }
            summary = text
        default:
            summary = ""
        }
        return "\(sequence.padding(toLength: 5, withPad: " ", startingAt: 0)) \(time)  \(kind.padding(toLength: 16, withPad: " ", startingAt: 0)) \(summary)"
    }
}
