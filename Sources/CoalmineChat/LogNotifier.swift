import CoalmineCore
import Logging

/// The `log` notifier: writes each notice to the process log. The zero-setup channel, and the one that always
/// works when a chat API does not.
public struct LogNotifier: Notifier {
    public let name: String
    private let logger: Logger
    /// Signed links act for whoever holds them, and process logs are read by many: printed only when asked for.
    private let showLinks: Bool

    public init(name: String, logger: Logger, showLinks: Bool = false) {
        self.name = name
        self.logger = logger
        self.showLinks = showLinks
    }

    public func deliver(_ message: NoticeMessage) async throws {
        logger.notice(
            // Alert text is the sender's: each line is made printable, so a line break in a summary cannot forge
            // a log line of its own.
            "\(NoticeText.lines(message, showingLinks: showLinks).map(NoticeText.printable).joined(separator: "\n"))",
            metadata: [
                "rollout": "\(message.rollout.name)", "run": "\(message.notice.run)",
                "notice": "\(message.notice.kind.rawValue)",
            ])
    }
}
