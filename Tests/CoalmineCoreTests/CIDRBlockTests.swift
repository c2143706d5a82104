import CoalmineCore
import Testing

@Suite struct CIDRBlockTests {
    @Test func ipv4BlocksHoldTheirAddressesAndNoOthers() throws {
        let block = try #require(CIDRBlock("10.20.0.0/14"))
        #expect(block.contains(CIDRBlock.bytes(of: "10.20.0.1")!))
        #expect(block.contains(CIDRBlock.bytes(of: "10.23.255.255")!))
        #expect(!block.contains(CIDRBlock.bytes(of: "10.24.0.0")!))
        #expect(!block.contains(CIDRBlock.bytes(of: "11.20.0.1")!))
        #expect(block.description == "10.20.0.0/14")
        let single = try #require(CIDRBlock("127.0.0.1"))
        #expect(single.contains(CIDRBlock.bytes(of: "127.0.0.1")!))
        #expect(!single.contains(CIDRBlock.bytes(of: "127.0.0.2")!))
    }

    @Test func ipv6BlocksAndIPv4SeenThroughAnIPv6Socket() throws {
        let block = try #require(CIDRBlock("fd00:10::/32"))
        #expect(block.contains(CIDRBlock.bytes(of: "fd00:10:ffff::1")!))
        #expect(!block.contains(CIDRBlock.bytes(of: "fd00:11::1")!))
        #expect(!block.contains(CIDRBlock.bytes(of: "10.0.0.1")!), "families never match each other")
        let ipv4 = try #require(CIDRBlock("10.0.0.0/8"))
        #expect(ipv4.contains(CIDRBlock.bytes(of: "::ffff:10.1.2.3")!))
        #expect(!ipv4.contains(CIDRBlock.bytes(of: "::ffff:11.1.2.3")!))
        #expect(CIDRBlock.bytes(of: "::1") == Array(repeating: 0, count: 15) + [1])
        #expect(CIDRBlock.bytes(of: "1:2:3:4:5:6:7:8")?.count == 16)
    }

    @Test func whatIsNotABlockIsRefused() {
        for text in [
            "", "10.0.0.0/33", "10.0.0/8", "10.0.0.256", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/1", "::/129",
            "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "corp.example.com", " 10.0.0.0/8",
        ] {
            #expect(CIDRBlock(text) == nil, "\(text)")
        }
    }
}
