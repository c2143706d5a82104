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
        if settings.kind == .log { return LogNotifier(name: settings.name, logger: logger) }
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
        let secret = try settings.secretFile.map(SecretFile.read(at:))
        let format: any ChatFormat
        switch settings.kind {
        case .log: fatalError("handled above")
        case .slack: format = SlackFormat()
        case .msteams: format = TeamsFormat()
        case .feishu, .lark:
            format = FeishuFormat(secret: secret, secondsSinceEpoch: { Int64(Date().timeIntervalSince1970) })
        case .dingtalk:
            format = DingTalkFormat(secret: secret, millisecondsSinceEpoch: { Int64(Date().timeIntervalSince1970 * 1000) })
        case .wecom: format = WeComFormat()
        case .discord: format = DiscordFormat()
        case .googlechat: format = GoogleChatFormat()
        case .webhook: format = WebhookFormat(secret: secret)
        }
        return ChatNotifier(name: settings.name, url: url, format: format, poster: ChatPoster(client: client))
    }
}
