/// A block of addresses such as `10.0.0.0/8` or `fd00::/8`: the peers whose identity header Coalmine believes
/// (`server.actions.trustedProxy.cidrs`). Parsed here, without the C library, so the config reader can name a bad
/// one.
public struct CIDRBlock: Equatable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, with the bits past the prefix cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// `address/prefix`, or a lone address meaning just that one.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.bytes(of: String(parts[0])) else { return nil }
        let length: Int
        if parts.count == 2 {
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let parsed = Int(parts[1]), parsed <= address.count * 8
            else {
                return nil
            }
            length = parsed
        } else {
            length = address.count * 8
        }
        network = Self.masked(address, to: length)
        prefixLength = length
    }

    /// Whether `address` (the bytes of an IPv4 or IPv6 address) lies in the block. An IPv4 address seen by an IPv6
    /// socket (`::ffff:10.1.2.3`) counts as the IPv4 address it is.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if address.count == 16, network.count == 4, address[0..<10].allSatisfy({ $0 == 0 }),
            address[10] == 0xff, address[11] == 0xff
        {
            address = Array(address[12...])
        }
        guard address.count == network.count else { return false }
        return Self.masked(address, to: prefixLength) == network
    }

    public var description: String {
        if network.count == 4 { return network.map(String.init).joined(separator: ".") + "/\(prefixLength)" }
        let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(network[$0]) << 8 | UInt16(network[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "/\(prefixLength)"
    }

    /// The bytes of a textual IPv4 (`10.1.2.3`) or IPv6 (`fd00::1`, `::ffff:10.1.2.3`) address; nil if it is not one.
    public static func bytes(of text: String) -> [UInt8]? {
        if !text.contains(":") { return ipv4(Substring(text)) }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ half: String) -> [UInt8]? {
            guard !half.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let fields = half.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, field.contains(".") {
                    guard let tail = ipv4(field) else { return nil }
                    bytes += tail
                } else {
                    guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit), let value = UInt16(field, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
                }
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let fields = text.split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for field in fields {
            guard (1...3).contains(field.count), field.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt8(field) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func masked(_ address: [UInt8], to length: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let bitsKept = min(max(length - index * 8, 0), 8)
            return bitsKept == 8 ? byte : byte & ~(UInt8(0xff) >> bitsKept)
        }
    }
}
