import CoalmineCore
import Foundation

/// One chat provider's message format: how a notice becomes a request, and how the provider reports errors in
/// a 2xx answer.
public protocol ChatFormat: Sendable {
    /// The least time between two messages to one endpoint.
    var pace: Duration { get }
    func request(for message: NoticeMessage, to url: String) -> ChatRequest
    /// A failure reported in a 2xx body (Feishu's `code`, DingTalk's and WeCom's `errcode`, Slack's text).
    func failure(in reply: ChatReply) -> DeliveryFailure?
}

extension ChatFormat {
    public func failure(in reply: ChatReply) -> DeliveryFailure? { nil }

    /// JSON bytes of a payload built from plain dictionaries and arrays.
    func json(_ object: [String: Any]) -> Data {
        // Built from strings, numbers, booleans, arrays and dictionaries only: always serializable.
        try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

/// Sends notices to one chat endpoint in one format, paced.
public struct ChatNotifier: Notifier {
    public let name: String
    let url: String
    let format: any ChatFormat
    let poster: ChatPoster
    let pacer: Pacer

    public init(name: String, url: String, format: any ChatFormat, poster: ChatPoster) {
        self.name = name
        self.url = url
        self.format = format
        self.poster = poster
        self.pacer = Pacer(interval: format.pace)
    }

    public func deliver(_ message: NoticeMessage) async throws {
        await pacer.waitTurn()
        let reply = try await poster.post(format.request(for: message, to: url))
        if let failure = format.failure(in: reply) { throw failure }
    }
}
