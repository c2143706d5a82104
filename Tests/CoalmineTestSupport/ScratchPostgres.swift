import CoalmineCore
import Foundation
import Logging
import PostgresNIO

/// The throwaway PostgreSQL cluster `scripts/test.sh` starts (`scripts/scratch-postgres.sh`), and a fresh database
/// in it for each test that asks.
public enum ScratchPostgres {
    /// `COALMINE_TEST_POSTGRES_URL`: `postgres://user@127.0.0.1:PORT/postgres?sslmode=disable`.
    public static var url: String? { ProcessInfo.processInfo.environment["COALMINE_TEST_POSTGRES_URL"] }
    /// `COALMINE_TEST_POSTGRES_PASSWORD_FILE`: the password of that user.
    public static var passwordFile: String? { ProcessInfo.processInfo.environment["COALMINE_TEST_POSTGRES_PASSWORD_FILE"] }

    public static var isAvailable: Bool { url != nil && passwordFile != nil }

    /// The cluster also takes TLS with a certificate for 127.0.0.1 signed by `caFile`; `otherCAFile` signed nothing
    /// it serves. From `COALMINE_TEST_POSTGRES_CA_FILE` and `COALMINE_TEST_POSTGRES_OTHER_CA_FILE`.
    public static var tls: (caFile: String, otherCAFile: String)? {
        let environment = ProcessInfo.processInfo.environment
        guard isAvailable, let ca = environment["COALMINE_TEST_POSTGRES_CA_FILE"],
            let other = environment["COALMINE_TEST_POSTGRES_OTHER_CA_FILE"]
        else { return nil }
        return (ca, other)
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public init() {}

        public var description: String {
            "no scratch PostgreSQL: run scripts/test.sh, or start scripts/scratch-postgres.sh and export what it prints"
        }
    }

    public static func password() throws -> String {
        guard let passwordFile else { throw Unavailable() }
        return try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The settings of the cluster's `postgres` database (where databases are created).
    public static func adminSettings() throws -> PostgresStoreSettings {
        guard let url, case .success(let settings) = PostgresStoreSettings.parse(url: url) else { throw Unavailable() }
        return settings
    }

    /// Creates an empty database of its own and returns its settings, with `passwordFile` set.
    public static func freshDatabase() async throws -> PostgresStoreSettings {
        var settings = try adminSettings()
        let name = "coalmine_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await execute("CREATE DATABASE \(name)", in: settings)
        settings.database = name
        settings.passwordFile = passwordFile
        return settings
    }

    /// Runs SQL as the cluster's owner, bypassing Coalmine: what someone with access to the database could do.
    public static func execute(_ sql: String, in settings: PostgresStoreSettings) async throws {
        let configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: try password(),
            database: settings.database, tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 1, logger: Logger(label: "coalmine.test.postgres"))
        do {
            // Read to the end: an error in a statement that returns rows comes after its row description.
            for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "coalmine.test.postgres")) {}
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
