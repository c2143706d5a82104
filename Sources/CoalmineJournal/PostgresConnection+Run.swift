import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement whose rows are not wanted, reading its answer to the end. An error the server finds while
    /// executing a statement that returns rows (a trigger, a constraint, a read-only transaction) arrives after the
    /// row description, so `query` has already returned; left unread it is never seen, the transaction's COMMIT
    /// then rolls back without an error, and a commit that wrote nothing would count as durable.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
