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
    /// twice: going around it took a fifth off the writer's CPU time per alert. Text is bound where it lies, not
    /// copied by SQLite first: the statement is stepped and its bindings cleared while the text is still in reach.
    func write(sql: String, _ values: SQLiteValue...) throws {
        let statement = try cachedStatement(sql: sql).sqliteStatement
        do {
            try bindThenStep(values[...], at: 1, statement, sql: sql)
        } catch {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            throw error
        }
    }

    private func bindThenStep(
        _ values: ArraySlice<SQLiteValue>, at index: Int32, _ statement: SQLiteStatement, sql: String
    ) throws {
        guard let value = values.first else {
            let code = sqlite3_step(statement)
            // Read before the reset, which may replace the message.
            let failed = code == SQLITE_DONE ? nil : failure(code, sql)
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if let failed { throw failed }
            return
        }
        let rest = values.dropFirst()
        switch value {
        case .integer(let integer):
            try check(sqlite3_bind_int64(statement, index, integer), sql)
            try bindThenStep(rest, at: index + 1, statement, sql: sql)
        case .null:
            try check(sqlite3_bind_null(statement, index), sql)
            try bindThenStep(rest, at: index + 1, statement, sql: sql)
        case .text(var text):
            try text.withUTF8 { utf8 in
                // An empty string has no bytes to point at; SQLite copies its nothing.
                let code =
                    utf8.isEmpty
                    ? sqlite3_bind_text(statement, index, "", 0, copiedBySQLite)
                    : sqlite3_bind_text(statement, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(utf8.count), nil)
                try check(code, sql)
                try bindThenStep(rest, at: index + 1, statement, sql: sql)
            }
        }
    }

    private func check(_ code: Int32, _ sql: String) throws {
        guard code == SQLITE_OK else { throw failure(code, sql) }
    }

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: lastErrorMessage, sql: sql)
    }
}
