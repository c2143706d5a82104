import Foundation

/// A throwaway PKI made with the openssl command: a CA, a server certificate for 127.0.0.1 and kubernetes.test,
/// a client certificate, and an unrelated CA that must not be trusted.
public struct TestCertificates: Sendable {
    public let directory: String

    public var caPath: String { "\(directory)/ca.crt" }
    public var serverCertificatePath: String { "\(directory)/server.crt" }
    public var serverKeyPath: String { "\(directory)/server.key" }
    public var clientCertificatePath: String { "\(directory)/client.crt" }
    public var clientKeyPath: String { "\(directory)/client.key" }
    public var otherCAPath: String { "\(directory)/other-ca.crt" }
    /// A server certificate naming only kubernetes.test (no IP address), for tls-server-name.
    public var namedServerCertificatePath: String { "\(directory)/named-server.crt" }
    public var namedServerKeyPath: String { "\(directory)/named-server.key" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(in directory: String) throws {
        self.directory = directory
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Coalmine Test CA"], in: directory)
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=Someone Else"], in: directory)
        try "subjectAltName=IP:127.0.0.1,DNS:kubernetes.test\nextendedKeyUsage=serverAuth\n".write(
            toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(directory)/client.ext", atomically: true, encoding: .utf8)
        try "subjectAltName=DNS:kubernetes.test\nextendedKeyUsage=serverAuth\n".write(
            toFile: "\(directory)/named-server.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [
            ("server", "/CN=kubernetes.test"), ("client", "/CN=coalmine/O=coalmine"), ("named-server", "/CN=kubernetes.test"),
        ] {
            try Self.openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject], in: directory)
            try Self.openssl(
                ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext"], in: directory)
        }
    }

    public func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(message)")
        }
    }
}
