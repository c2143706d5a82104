import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How peers reach this replica when `server.advertiseURL` is not set: the address the host name resolves to. In a
/// Kubernetes pod the host name is the pod's name and resolves (through the pod's /etc/hosts) to the pod's IP,
/// which every other pod can reach; the name alone is not in the cluster's DNS.
enum ReplicaAddress {
    static func defaultAdvertiseURL(hostName: String, port: Int) -> String {
        guard let address = resolve(hostName) else { return "http://\(hostName):\(port)" }
        return address.contains(":") ? "http://[\(address)]:\(port)" : "http://\(address):\(port)"
    }

    /// The first address `name` resolves to, IPv4 first, skipping loopback (a laptop's name often maps there).
    static func resolve(_ name: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(first) }
        var candidates: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                candidates.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        let routable = candidates.filter { !$0.hasPrefix("127.") && $0 != "::1" }
        return routable.first { !$0.contains(":") } ?? routable.first
    }
}
