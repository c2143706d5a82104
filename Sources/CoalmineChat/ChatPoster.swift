import CoalmineCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A request a chat format built: where, what, with which headers.
public struct ChatRequest: Sendable {
    public var url: String
    public var body: Data
    public var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8")]
}

/// What a chat API answered with a 2xx status.
public struct ChatReply: Sendable {
    public var body: Data

    /// The body as a JSON object, when it is one.
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// Posts chat requests and sorts failures into permanent and transient ones.
public struct ChatPoster: Sendable {
    let client: HTTPClient
    /// Covers the whole exchange, body included: a chat API that sends its headers and stalls is cut off too.
    let timeout: Duration

    public init(client: HTTPClient, timeout: Duration = .seconds(10)) {
        self.client = client
        self.timeout = timeout
    }

    public func post(_ request: ChatRequest) async throws(DeliveryFailure) -> ChatReply {
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: Data
        do {
            (status, headers, body) = try await withDeadline(timeout) { [client, http] in
                let response = try await client.execute(http, deadline: .distantFuture)
                let body = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
                return (response.status, response.headers, body)
            }
        } catch {
            throw .transient("\(Self.redact(request.url)): \(error)")
        }
        let snippet = String(decoding: body.prefix(300), as: UTF8.self)
        switch status.code {
        case 200..<300:
            return ChatReply(body: body)
        case 429:
            throw .transient("429 Too Many Requests: \(snippet)", retryAfter: Self.retryAfter(headers: headers, body: body))
        case 500..<600:
            throw .transient("\(status.code) \(status.reasonPhrase): \(snippet)")
        default:
            throw .permanent("\(status.code) \(status.reasonPhrase): \(snippet)")
        }
    }

    /// `Retry-After` in seconds, or Discord's `retry_after` (seconds, fractional) in the body.
    static func retryAfter(headers: HTTPHeaders, body: Data) -> Duration? {
        if let header = headers.first(name: "Retry-After"), let seconds = Double(header) {
            return .milliseconds(Int64(seconds * 1000))
        }
        if let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let seconds = (json["retry_after"] as? NSNumber)?.doubleValue
        {
            return .milliseconds(Int64(seconds * 1000))
        }
        return nil
    }

    /// Webhook URLs are credentials: errors name the host only.
    static func redact(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "the webhook" }
        return "\(components.scheme ?? "https")://\(host)\(components.port.map { ":\($0)" } ?? "")/…"
    }
}
