import GRDB

/// Writes to a SQLite journal file around Coalmine, as whoever can write the file could.
enum SQLiteTamper {
    static func execute(_ sql: String, path: String) throws {
        let raw = try DatabaseQueue(path: path)
        try raw.write { try $0.execute(sql: sql) }
    }
}
