/// The plain-text rendering of a notice: what the log notifier prints and what rich formats start from.
public enum NoticeText {
    /// What happened, in a few words. `now` gives a reminder its elapsed time.
    public static func headline(_ notice: RolloutNotice, at now: Timestamp) -> String {
        switch notice.kind {
        case .started:
            notice.isInHeaderStage
                ? "canary run \(notice.run) started: \(notice.headerRoute!.audience) first"
                : "canary run \(notice.run) started"
        case .stepAdvanced:
            notice.canaryWeightBefore == 0 && notice.headerRoute != nil
                ? "\(notice.headerRoute!.audience) → canary weight \(notice.canaryWeightAfter) %"
                : "canary weight \(notice.canaryWeightBefore) % → \(notice.canaryWeightAfter) %"
        case .paused: notice.reason == .manual ? "paused by \(notice.actor)" : "paused: an alert fires"
        case .resumed: notice.phase == .paused ? "resumed, but still held by a firing alert" : "resumed"
        case .awaitingHuman: "circuit breaker tripped: traffic growth stopped, a human must decide"
        case .reminder:
            "reminder: waiting for a human decision for \(DurationText.format(.seconds(now.since(notice.since).wholeMilliseconds / 1000)))"
        case .breakerCleared: "breaker alert resolved; still waiting for a human decision"
        case .approvalNeeded: "approval needed before the next weight"
        case .rollingBack: "rolling back: canary weight \(notice.canaryWeightBefore) % → 0 %"
        case .rolledBack: "rolled back: all traffic is on the stable version"
        case .rollbackStuck: "rollback stuck: the router keeps failing"
        case .driftCorrected: "weights changed outside Coalmine; restored"
        case .promoted: "promoted: all traffic is on the canary version"
        case .test: "test message: Coalmine can reach this channel"
        }
    }

    /// Several lines: title, facts, links. Without `showingLinks`, only how many links the message carries.
    public static func render(_ message: NoticeMessage, showingLinks: Bool = true) -> String {
        lines(message, showingLinks: showingLinks).joined(separator: "\n")
    }

    /// The lines `render` joins, each free of line breaks only if its text is: see `printable`.
    public static func lines(_ message: NoticeMessage, showingLinks: Bool = true) -> [String] {
        var lines = [message.title]
        for fact in message.facts { lines.append("  \(fact.label): \(fact.value)") }
        if showingLinks {
            for link in message.links { lines.append("  \(link.title): \(link.url)") }
        } else if !message.links.isEmpty {
            lines.append("  links: \(message.links.count) sent to chat notifiers")
        }
        lines.append("  Status: \(message.statusURL)")
        return lines
    }

    /// `text` with every control character (line breaks, escape sequences, C1 controls, Unicode line and paragraph
    /// separators) written as `\u{…}`, so alert text cannot start a line of its own in a log or move a terminal's
    /// cursor.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
