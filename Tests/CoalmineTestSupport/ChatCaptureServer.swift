import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A stand-in for the chat APIs on 127.0.0.1: it records every request and answers as each provider does —
/// Slack's `ok`, Feishu's `code`, DingTalk's and WeCom's `errcode`, Discord's 204 — or as a test scripts it:
/// 429 with Retry-After, 500, slow answers.
public final class ChatCaptureServer: Sendable {
    public struct Captured: Sendable {
        public var endpoint: String
        public var query: String?
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data
        public var receivedAt: ContinuousClock.Instant

        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var delay: Duration
        /// Send the head, then trickle the body without ever finishing it.
        public var stallsBody: Bool

        public init(
            status: Int, body: String = "", headers: [String: String] = [:], delay: Duration = .zero,
            stallsBody: Bool = false
        ) {
            self.status = status
            self.body = body
            self.headers = headers
            self.delay = delay
            self.stallsBody = stallsBody
        }

        /// A 200 whose body never ends.
        public static let stalled = Answer(status: 200, stallsBody: true)
    }

    private let state = Mutex<(captured: [Captured], scripts: [String: [Answer]], stalling: Bool)>(([], [:], false))

    public init() {}

    /// The next answers for `endpoint`, used in order before the provider's normal answer.
    public func script(_ endpoint: String, _ answers: [Answer]) {
        state.withLock { $0.scripts[endpoint, default: []] += answers }
    }

    /// From now on every endpoint answers `Answer.stalled`, whatever is scripted.
    public func stallEverything() {
        state.withLock { $0.stalling = true }
    }

    public func captured(_ endpoint: String) -> [Captured] {
        state.withLock { $0.captured.filter { $0.endpoint == endpoint } }
    }

    /// What the provider named by the endpoint's prefix answers on success.
    static func normalAnswer(for endpoint: String) -> Answer {
        switch endpoint.split(separator: "-").first.map(String.init) ?? endpoint {
        case "slack": Answer(status: 200, body: "ok")
        case "teams": Answer(status: 202)
        case "feishu", "lark": Answer(status: 200, body: #"{"code":0,"msg":"success","data":{}}"#)
        case "dingtalk", "wecom": Answer(status: 200, body: #"{"errcode":0,"errmsg":"ok"}"#)
        case "discord": Answer(status: 204)
        default: Answer(status: 200, body: "{}")
        }
    }

    /// Runs the server for the duration of `body`, which gets the base URL (`http://127.0.0.1:PORT`).
    public func run<Value: Sendable>(_ body: @Sendable (String) async throws -> Value) async throws -> Value {
        let router = Router()
        router.post(":endpoint") { request, context -> Response in
            let endpoint = try context.parameters.require("endpoint")
            let bytes = try await request.body.collect(upTo: 8 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let answer = self.state.withLock { state -> Answer in
                state.captured.append(
                    Captured(
                        endpoint: endpoint, query: request.uri.query, headers: headers,
                        body: Data(bytes.readableBytesView), receivedAt: .now))
                if state.stalling { return .stalled }
                if var queue = state.scripts[endpoint], !queue.isEmpty {
                    let next = queue.removeFirst()
                    state.scripts[endpoint] = queue
                    return next
                }
                return Self.normalAnswer(for: endpoint)
            }
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            if answer.stallsBody { return StalledResponse.make(status: HTTPResponse.Status(code: answer.status)) }
            var fields = HTTPFields()
            for (name, value) in answer.headers { if let name = HTTPField.Name(name) { fields[name] = value } }
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        var logger = Logger(label: "chat-capture")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        return try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}
