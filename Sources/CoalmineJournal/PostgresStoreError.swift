import PostgresNIO

/// A PostgreSQL failure in words an operator can act on. postgres-nio hides the server's message from an error's
/// description (it may quote data); the message and SQLSTATE name a wrong password, a missing database or a refused
/// change without quoting any row.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public var description: String
    /// The SQLSTATE the server answered with, when it answered.
    public var sqlState: String?
    /// The write was refused because this replica does not lead.
    public var isNotLeader = false

    init(description: String, sqlState: String? = nil, notLeader: Bool = false) {
        self.description = description
        self.sqlState = sqlState
        self.isNotLeader = notLeader
    }

    init(doing: String, _ error: any Error) {
        self = Self.explaining(error, doing: doing)
    }

    private static func explaining(_ error: any Error, doing: String) -> PostgresStoreError {
        if let known = error as? PostgresStoreError { return known }
        if let notLeader = error as? NotLeader { return PostgresStoreError(description: "\(notLeader)", notLeader: true) }
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError
                ?? transaction.rollbackError
        {
            return explaining(cause, doing: doing)
        }
        guard let psql = error as? PSQLError else { return PostgresStoreError(description: "could not \(doing): \(error)") }
        let state = psql.serverInfo?[.sqlState]
        if let message = psql.serverInfo?[.message] {
            return PostgresStoreError(description: "could not \(doing): \(message) (SQLSTATE \(state ?? "?"))", sqlState: state)
        }
        if let underlying = psql.underlying {
            return PostgresStoreError(description: "could not \(doing): \(psql.code): \(underlying)")
        }
        return PostgresStoreError(description: "could not \(doing): \(psql.code)")
    }
}
