import CoalmineCore
import CoalmineJournal
import Foundation

/// Which journal a store test runs on: every `JournalStore` test runs on both.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// SQLite always; PostgreSQL when the scratch cluster runs (`scripts/test.sh` starts it, and a run with
    /// `COALMINE_E2E=1` fails a test of its own when it does not).
    public static var available: [StoreKind] { ScratchPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }
}

/// An empty journal of one kind for one test, with a way around it for tampering. Open stores are closed when the
/// test's body ends.
public final class ScratchStore: Sendable {
    public let kind: StoreKind
    private let workspace: TestWorkspace
    private let postgres: PostgresStoreSettings?
    private let opened = OpenedJournals()

    private init(kind: StoreKind) async throws {
        self.kind = kind
        workspace = try TestWorkspace()
        postgres = kind == .postgres ? try await ScratchPostgres.freshDatabase() : nil
    }

    public static func with<Result: Sendable>(
        _ kind: StoreKind, _ body: (ScratchStore) async throws -> Result
    ) async throws -> Result {
        let scratch = try await ScratchStore(kind: kind)
        do {
            let result = try await body(scratch)
            await scratch.opened.closeAll()
            return result
        } catch {
            await scratch.opened.closeAll()
            throw error
        }
    }

    /// The config's `store:` mapping for this journal, as flow YAML.
    public var storeYAML: String { storeYAML(auditKeyFile: nil) }

    /// The same, with `store.audit.keyFile`.
    public func storeYAML(auditKeyFile: String?) -> String {
        let audit = auditKeyFile.map { ", audit: { keyFile: \"\($0)\" }" } ?? ""
        guard let postgres else { return "{ sqlite: { path: \"\(workspace.journalPath)\" }\(audit) }" }
        return """
            { postgres: { url: "postgres://\(postgres.user)@\(postgres.host):\(postgres.port)/\(postgres.database)?sslmode=disable", \
            passwordFile: "\(postgres.passwordFile ?? "")" }\(audit) }
            """
    }

    /// Opens the journal (again); each open is a new connection to the same data, as a restart would be.
    /// `readOnly`: as `coalmine audit` opens it.
    public func open(auditKey: String? = nil, readOnly: Bool = false) async throws -> any JournalStore {
        guard let postgres else {
            return try SQLiteJournal(path: workspace.journalPath, auditKey: auditKey, readOnly: readOnly)
        }
        let journal = try await PostgresJournal(
            settings: postgres, password: try ScratchPostgres.password(), auditKey: auditKey, readOnly: readOnly)
        await opened.add(journal)
        return journal
    }

    /// Runs SQL on the journal's database around Coalmine, as its owner could.
    public func tamper(_ sql: String) async throws {
        if let postgres {
            try await ScratchPostgres.execute(sql, in: postgres)
        } else {
            try SQLiteTamper.execute(sql, path: workspace.journalPath)
        }
    }

    /// PostgreSQL only: lets no new connection into the journal's database and ends those open (`false`), as a
    /// database that went away looks to the pool; or lets connections in again (`true`).
    public func setReachable(_ reachable: Bool) async throws {
        guard let postgres else { return }
        let admin = try ScratchPostgres.adminSettings()
        try await ScratchPostgres.execute("ALTER DATABASE \(postgres.database) ALLOW_CONNECTIONS \(reachable)", in: admin)
        guard !reachable else { return }
        try await ScratchPostgres.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(postgres.database)'", in: admin)
    }

    /// Removes the database's refusal of journal edits, as an owner can; the hash chain must still tell.
    public func dropAppendOnlyGuards() async throws {
        switch kind {
        case .sqlite: try await tamper("DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete")
        case .postgres: try await tamper("DROP TRIGGER journal_append_only ON journal")
        }
    }
}

private actor OpenedJournals {
    private var journals: [PostgresJournal] = []

    func add(_ journal: PostgresJournal) { journals.append(journal) }

    func closeAll() async {
        for journal in journals { await journal.close() }
        journals = []
    }
}
