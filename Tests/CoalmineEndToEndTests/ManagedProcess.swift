import Foundation

/// A server the end-to-end test starts: output goes to a log file, and it is stopped when the test ends,
/// also when it fails.
final class ManagedProcess {
    let name: String
    let logPath: String
    private let process = Process()

    init(_ name: String, _ executable: String, _ arguments: [String], logDirectory: String, environment: [String: String] = [:])
        throws
    {
        self.name = name
        logPath = "\(logDirectory)/\(name).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT) to the process; after SIGKILL, waits until it is gone.
    func send(_ signal: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        if signal == SIGKILL { process.waitUntilExit() }
    }
    var exitStatus: Int32 { process.terminationStatus }

    /// SIGTERM, then SIGKILL if it is still running after 10 seconds: a child can inherit an ignored SIGTERM
    /// from a test process whose service group handles that signal itself.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The end of its log, for a failure message.
    var logTail: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return "--- \(name) ---\n" + text.split(separator: "\n").suffix(25).joined(separator: "\n")
    }
}

/// A port nothing listens on now, on 127.0.0.1.
func freePort() throws -> Int {
    // Below the kernel's ephemeral range (32768 and up here): a port handed out by `bind(0)` can be taken again,
    // before the process the test starts binds it, by any outgoing connection of the other suites running
    // meanwhile ("Address already in use" in the workload once). Ports down here are only ever taken on purpose.
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_768)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound == 0 { return port }
    }
    throw POSIXError(.EADDRINUSE)
}
