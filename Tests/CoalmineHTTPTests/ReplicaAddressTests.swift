import Testing

@testable import CoalmineHTTP

/// How a replica tells its peers where it is when the config does not say.
@Suite struct ReplicaAddressTests {
    @Test func aNameIsAdvertisedByTheAddressItResolvesTo() {
        #expect(ReplicaAddress.defaultAdvertiseURL(hostName: "10.244.1.7", port: 9095) == "http://10.244.1.7:9095")
        #expect(ReplicaAddress.defaultAdvertiseURL(hostName: "fd00::7", port: 9095) == "http://[fd00::7]:9095")
    }

    @Test func aNameThatResolvesOnlyToLoopbackOrNotAtAllIsAdvertisedAsItIs() {
        // Loopback would send a peer's forwarded requests back to the peer itself.
        #expect(ReplicaAddress.defaultAdvertiseURL(hostName: "localhost", port: 9095) == "http://localhost:9095")
        #expect(ReplicaAddress.defaultAdvertiseURL(hostName: "no-such-host.invalid", port: 9095) == "http://no-such-host.invalid:9095")
    }
}
