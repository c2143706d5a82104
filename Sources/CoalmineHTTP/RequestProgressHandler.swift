import NIOCore
import NIOHTTPTypes

/// After the HTTP decoder: tells `ConnectionDeadlineHandler`, before it, when a request's head and end arrive and
/// when its answer has been written, so the deadline follows the request.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: context.triggerUserOutboundEvent(RequestProgress.headArrived, promise: nil)
        case .body: break
        case .end: context.triggerUserOutboundEvent(RequestProgress.requestEnded, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            context.triggerUserOutboundEvent(RequestProgress.responseEnded, promise: nil)
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension RequestProgressHandler: Sendable {}
