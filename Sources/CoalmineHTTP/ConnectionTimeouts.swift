import NIOCore

/// How long a connection may take at each stage before the server closes it (`server.idleTimeout`,
/// `server.headTimeout`, `server.bodyTimeout`): an unauthenticated client must not hold a connection open for
/// minutes by sending nothing, or a header a byte at a time.
struct ConnectionTimeouts: Sendable {
    var idle: TimeAmount
    var head: TimeAmount
    var body: TimeAmount
}

/// Where a request on a connection stands, as `RequestProgressHandler` sees it after the HTTP decoder; sent to
/// `ConnectionDeadlineHandler`, which sits before the decoder, as an outbound user event.
enum RequestProgress: Sendable {
    case headArrived
    case requestEnded
    case responseEnded
}
