import NIOCore
import NIOHTTPTypes

/// Sees each request's head as the HTTP decoder hands it on, before the web framework dispatches it to a handler:
/// when the request reached the server, the moment a real API server's audit log stamps as `RequestReceived`.
final class RequestArrivalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let arrived: @Sendable (_ method: String, _ path: String) -> Void

    init(arrived: @escaping @Sendable (_ method: String, _ path: String) -> Void) {
        self.arrived = arrived
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let target = head.path ?? ""
            arrived(head.method.rawValue, String(target.prefix { $0 != "?" }))
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestArrivalHandler: Sendable {}
