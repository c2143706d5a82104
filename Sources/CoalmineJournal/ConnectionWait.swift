import Logging
import PostgresNIO
import Synchronization

/// Work on a pooled connection that fails when no connection comes within a limit. With the database gone,
/// postgres-nio's pool keeps every caller waiting until its circuit breaker trips, a minute after the first failed
/// connection: a webhook answered 503 after 67 s, while Alertmanager held that group's notifications. Once a
/// connection is leased the work runs to its end, however long (a walk of the whole chain takes what it takes).
final class ConnectionWait: Sendable {
    private let leased = Mutex(false)

    private init() {}

    static func run<Result: Sendable>(
        on client: PostgresClient, within limit: Duration, inTransaction: Bool, logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let wait = ConnectionWait()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    wait.leased.withLock { $0 = true }
                    guard inTransaction else { return try await body(connection) }
                    return try await connection.withTransaction(logger: logger) { try await body($0) }
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                guard wait.leased.withLock({ $0 }) else { throw ConnectionWaitExceeded(limit: limit) }
                return nil
            }
            while let finished = try await group.next() {
                // The work's result; the timer's nil only says a connection came in time.
                if let result = finished {
                    group.cancelAll()
                    return result
                }
            }
            preconditionFailure("the work's task ends with a result or an error")
        }
    }
}
