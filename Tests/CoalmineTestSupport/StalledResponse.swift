import HTTPTypes
import Hummingbird

/// An answer whose head arrives at once and whose body never ends: a byte every 200 ms, so the connection stays
/// busy and only a deadline that covers the body can end the wait. Stops when the client goes away (or after a
/// minute, so a test server can always shut down).
public enum StalledResponse {
    public static func make(status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "{"))
                for _ in 0..<300 {
                    try await Task.sleep(for: .milliseconds(200))
                    try await writer.write(ByteBuffer(string: " "))
                }
                try await writer.finish(nil)
            })
    }
}
