import CoalmineCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Who sent a link POST, as the sign-in proxy in front of Coalmine says. Any client can send the identity header,
/// so it counts only on a request that proves it came through that proxy (`server.actions.trustedProxy`): the
/// proxy's shared secret in a header, or a peer address in the proxies' blocks.
struct TrustedIdentity: Sendable {
    enum Outcome: Equatable {
        case identified(String)
        /// The request did not come through the proxy: its identity header, if any, is not believed.
        case notThroughProxy
        /// Through the proxy, but without an identity: the user has not signed in.
        case noIdentity
    }

    let header: String
    let proxy: TrustedProxy
    /// The contents of `secretFile`, for `.secretHeader`.
    let proxySecret: String?

    func identify(_ headers: HTTPFields, peer: SocketAddress?) -> Outcome {
        guard cameThroughProxy(headers, peer: peer) else { return .notThroughProxy }
        guard let name = HTTPField.Name(header), let identity = headers[name], !identity.isEmpty else { return .noIdentity }
        return .identified(identity)
    }

    private func cameThroughProxy(_ headers: HTTPFields, peer: SocketAddress?) -> Bool {
        switch proxy {
        case .secretHeader(let header, _):
            guard let proxySecret, let name = HTTPField.Name(header), let presented = headers[name] else { return false }
            return Credentials.constantTimeEquals(presented, proxySecret)
        case .cidrs(let blocks):
            // A zone suffix (`fe80::1%eth0`) is not part of the address.
            guard let text = peer?.ipAddress?.split(separator: "%").first, let address = CIDRBlock.bytes(of: String(text))
            else { return false }
            return blocks.contains { $0.contains(address) }
        }
    }
}
