import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 channel with `ConnectionTimeouts`: the deadline handler goes first in the pipeline,
/// where it sees a request's first bytes before the decoder has a head to show.
struct TimedHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let timeouts: ConnectionTimeouts

    init(responder: @escaping HTTPChannelHandler.Responder, timeouts: ConnectionTimeouts) {
        http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestProgressHandler()]))
        self.timeouts = timeouts
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionDeadlineHandler(timeouts), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
