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

    public func deliver(_ notice: RolloutNotice, about rollout: RolloutSpec) async throws {
        logger.notice(
            "\(NoticeText.render(notice, about: rollout))",
            metadata: ["rollout": "\(rollout.name)", "run": "\(notice.run)", "notice": "\(notice.kind.rawValue)"])
    }
}
