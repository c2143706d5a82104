/// `store.postgres`: the shared journal several replicas use. The URL names where and as whom; the password lives
/// in a file of its own, so a config that is printed, diffed or pasted into a ticket never carries it.
public struct PostgresStoreSettings: Equatable, Sendable {
    public enum SSLMode: String, Equatable, Sendable, CaseIterable {
        case disable
        /// Encrypted, server not verified: a tap on the wire learns nothing, a machine in the middle can pose as it.
        case require
        /// Encrypted, and the server's certificate must chain to `caFile` (or the system's roots) and name the host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var sslMode: SSLMode
    public var passwordFile: String?
    public var caFile: String?
    /// The most connections one replica opens.
    public var pool: Int

    public init(
        host: String, port: Int = 5432, user: String, database: String, sslMode: SSLMode = .verifyFull,
        passwordFile: String? = nil, caFile: String? = nil, pool: Int = 8
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.sslMode = sslMode
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.pool = pool
    }

    /// What is wrong with a `postgres://` URL, in words for the config error.
    public struct URLProblem: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `postgres://user@host:port/database?sslmode=…` (or `postgresql://`); `sslmode` defaults to
    /// `verify-full`, the only mode that stops a machine in the middle. A password in the URL is refused.
    public static func parse(url text: String) -> Result<PostgresStoreSettings, URLProblem> {
        func problem(_ message: String) -> Result<PostgresStoreSettings, URLProblem> { .failure(URLProblem(description: message)) }
        let schemes = ["postgres://", "postgresql://"]
        guard let scheme = schemes.first(where: { text.hasPrefix($0) }) else {
            return problem("expected postgres://user@host:5432/database?sslmode=verify-full, found '\(text)'")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { return problem("names no database: add /DATABASE after the host") }
        let database = String(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        guard !database.isEmpty, !database.contains("/") else { return problem("names no single database after the host") }
        guard let at = authority.lastIndex(of: "@") else { return problem("names no user: write postgres://USER@host/…") }
        let userInfo = authority[..<at]
        if userInfo.contains(":") {
            return problem("carries a password: put it in store.postgres.passwordFile, not in the URL")
        }
        guard !userInfo.isEmpty else { return problem("names no user: write postgres://USER@host/…") }
        var hostPort = authority[authority.index(after: at)...]
        var port = 5432
        if hostPort.hasPrefix("[") {
            // An IPv6 literal keeps its colons inside the brackets.
            guard let close = hostPort.firstIndex(of: "]") else { return problem("has an unclosed [ in its host") }
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    return problem("has a port that is not a number from 1 to 65535")
                }
                port = number
            }
            hostPort = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
        } else if let colon = hostPort.lastIndex(of: ":") {
            guard let number = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(number) else {
                return problem("has a port that is not a number from 1 to 65535")
            }
            port = number
            hostPort = hostPort[..<colon]
        }
        guard !hostPort.isEmpty else { return problem("names no host") }
        var sslMode = SSLMode.verifyFull
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            guard name == "sslmode" else { return problem("has an option Coalmine does not read: '\(name)' (only sslmode)") }
            guard let mode = SSLMode(rawValue: value) else {
                return problem("sslmode must be one of disable, require, verify-full, found '\(value)'")
            }
            sslMode = mode
        }
        return .success(
            PostgresStoreSettings(
                host: String(hostPort), port: port, user: String(userInfo), database: database, sslMode: sslMode))
    }
}
