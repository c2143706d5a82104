import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the peer's address, which `server.actions.trustedProxy.cidrs` checks.
public struct CoalmineRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nil where there is no socket (the router tests).
    public var remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
