import AsyncHTTPClient
import CoalmineCore
import Foundation
import Logging

/// Builds the notifiers a config names, reading each webhook URL and secret from its file or variable.
public enum NotifierFactory {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func make(
        _ settings: NotifierSettings, client: HTTPClient, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any Notifier {
        let secret = try settings.secretFile.map(SecretFile.read(at:))
        guard let format = format(of: settings.kind, secret: secret) else {
            return LogNotifier(name: settings.name, logger: logger, showLinks: settings.showLinks)
        }
        let url: String
        switch settings.url {
        case .file(let path)?:
            url = try SecretFile.read(at: path)
        case .environment(let variable)?:
            guard let value = environment[variable], !value.isEmpty else {
                throw Failure(description: "notifier \(settings.name): environment variable \(variable) is not set")
            }
            url = value
        case nil:
            throw Failure(description: "notifier \(settings.name): no webhook URL configured")
        }
        return ChatNotifier(name: settings.name, url: url, format: format, poster: ChatPoster(client: client, timeout: settings.timeout))
    }

    /// The chat format of `kind`; nil for `log`, which prints instead of posting.
    static func format(of kind: NotifierSettings.Kind, secret: String?) -> (any ChatFormat)? {
        switch kind {
        case .log: nil
        case .slack: SlackFormat()
        case .msteams: TeamsFormat()
        case .feishu, .lark: FeishuFormat(secret: secret, secondsSinceEpoch: { Int64(Date().timeIntervalSince1970) })
        case .dingtalk:
            DingTalkFormat(secret: secret, millisecondsSinceEpoch: { Int64(Date().timeIntervalSince1970 * 1000) })
        case .wecom: WeComFormat()
        case .discord: DiscordFormat()
        case .googlechat: GoogleChatFormat()
        case .webhook: WebhookFormat(secret: secret)
        }
    }
}
