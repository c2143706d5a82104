import CoalmineCore
import HTTPTypes
import NIOCore
import Testing

@testable import CoalmineHTTP

@Suite struct TrustedIdentityTests {
    private let email = HTTPField.Name("X-Forwarded-Email")!

    @Test func aPeerInTheProxiesBlocksIsBelievedAndOthersAreNot() throws {
        let identity = TrustedIdentity(
            header: "X-Forwarded-Email", proxy: .cidrs([CIDRBlock("10.0.0.0/8")!, CIDRBlock("fd00::/8")!]), proxySecret: nil)
        let signedIn: HTTPFields = [email: "alice@example.com"]
        #expect(identity.identify(signedIn, peer: try SocketAddress(ipAddress: "10.1.2.3", port: 40000)) == .identified("alice@example.com"))
        #expect(identity.identify(signedIn, peer: try SocketAddress(ipAddress: "fd00::7", port: 40000)) == .identified("alice@example.com"))
        #expect(identity.identify(signedIn, peer: try SocketAddress(ipAddress: "::ffff:10.9.9.9", port: 40000)) == .identified("alice@example.com"))
        #expect(identity.identify(signedIn, peer: try SocketAddress(ipAddress: "192.168.1.5", port: 40000)) == .notThroughProxy)
        #expect(identity.identify(signedIn, peer: nil) == .notThroughProxy)
        #expect(identity.identify([:], peer: try SocketAddress(ipAddress: "10.1.2.3", port: 40000)) == .noIdentity)
    }
}
