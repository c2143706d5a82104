import Foundation
import Hummingbird

/// JSON answers. Every error body is `{"error": "..."}` with a message that says what was wrong.
enum APIResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our own plain value types always encode.
        let data = try! encoder.encode(value)
        return json(data: data, status: status)
    }

    static func json(data: Data, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var response = json(ErrorBody(error: message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The answer to an API call without the API token.
    static var missingAPIToken: Response {
        error(
            .unauthorized, "missing or wrong API token (Authorization: Bearer <token from server.api.tokenFile>)",
            headers: [.wwwAuthenticate: "Bearer realm=\"coalmine\""])
    }

    struct ErrorBody: Encodable {
        var error: String
    }
}

/// An error a handler throws to answer with a status and a message.
struct RequestRejection: Error {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]

    var response: Response { APIResponse.error(status, message, headers: headers) }
}
