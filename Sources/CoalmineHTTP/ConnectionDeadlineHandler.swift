import NIOCore

/// First in a connection's pipeline, where the raw bytes arrive: keeps one deadline for the stage the connection
/// is in and closes it when the deadline passes. Idle (no request): `idle`. First bytes of a request: its head
/// within `head`. Head decoded: its body within `body`. Request read: no deadline while Coalmine answers. Every
/// request answered: idle again.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Stage {
        case idle
        case readingHead
        case readingBody
        case answering
    }

    private let timeouts: ConnectionTimeouts
    private var stage = Stage.idle
    /// Requests whose head arrived, and answers written: an answer can come before its request's end (a 401
    /// before the body), and the connection is idle once every request has one.
    private var requests = 0
    private var answers = 0
    private var deadline: Scheduled<Void>?
    /// A reading stage's deadline is set once the read is done: a whole request usually arrives in one read, and
    /// then needs none.
    private var deadlineDue = false

    init(_ timeouts: ConnectionTimeouts) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { enter(.idle, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        enter(.idle, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .idle = stage { enter(.readingHead, context: context) }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if deadlineDue {
            deadlineDue = false
            switch stage {
            case .readingHead: schedule(timeouts.head, context: context)
            case .readingBody: schedule(timeouts.body, context: context)
            case .idle, .answering: break
            }
        }
        context.fireChannelReadComplete()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? RequestProgress else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch progress {
        case .headArrived:
            requests += 1
            enter(.readingBody, context: context)
        case .requestEnded:
            enter(answers >= requests ? .idle : .answering, context: context)
        case .responseEnded:
            answers += 1
            // An early answer leaves a request still being read on its deadline.
            if case .answering = stage, answers >= requests { enter(.idle, context: context) }
        }
        promise?.succeed()
    }

    private func enter(_ next: Stage, context: ChannelHandlerContext) {
        stage = next
        deadline?.cancel()
        deadline = nil
        switch next {
        case .idle: schedule(timeouts.idle, context: context)
        case .readingHead, .readingBody: deadlineDue = true
        case .answering: deadlineDue = false
        }
    }

    private func schedule(_ limit: TimeAmount, context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension ConnectionDeadlineHandler: Sendable {}
