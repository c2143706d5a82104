import CoalmineCore
import Logging

/// The `log` notifier: writes each notice to the process log. The zero-setup channel, and the one that always
/// works when a chat API does not.
public struct LogNotifier: Notifier {
    public let name: String
    private let logger: Logger

    public init(name: String, logger: Logger) {
        self.name = name
        self.logger = logger
    }

    public func deliver(_ message: NoticeMessage) async throws {
        logger.notice(
            "\(NoticeText.render(message))",
            metadata: [
                "rollout": "\(message.rollout.name)", "run": "\(message.notice.run)",
                "notice": "\(message.notice.kind.rawValue)",
            ])
    }
}
