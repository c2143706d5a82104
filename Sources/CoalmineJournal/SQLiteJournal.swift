import CoalmineCore
import Foundation
import GRDB
import Synchronization

/// The embedded journal: SQLite in WAL mode with `synchronous=FULL`, so a commit that returned survives a crash
/// or power loss. Zero setup: the file and its folder are created on first open.
public final class SQLiteJournal: JournalStore {
    let pool: DatabasePool
    /// Rows written since the write-ahead log was last copied back; see `afterCommits`.
    private let rowsSinceCheckpoint = Mutex((total: 0, sinceCopy: 0))
    /// Nil when the journal is opened read-only: nothing is written, so nothing is copied back.
    private let copier: WALCopier?
    /// The key each entry's hash is made with (`store.audit.keyFile`), and the first entry made with it: entries
    /// written before the journal had a key keep their plain SHA-256 and still verify.
    private let auditKey: ChainKey?
    public let keyedFrom: Int64?
    /// The first sequence whose entry links to its rollout's entry before it; see `v15-history-by-rollout-links`.
    private let linkedFrom: Int64

    /// `auditKey`: the secret entries are keyed with from now on. The first time a journal is opened with one, the
    /// next sequence is recorded as where keys begin. `readOnly` (for `coalmine audit`): SQLite opens the file
    /// read-only, so nothing is created, migrated or recorded, and a schema other than this build's is refused
    /// (`JournalSchemaMismatch`).
    public init(path: String, auditKey: String? = nil, readOnly: Bool = false) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !readOnly {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.readonly = readOnly
        // Another process on the same file (`coalmine audit`, a second `serve` started by mistake) waits its turn
        // instead of failing at once.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // The writer's working set in a storm is every index page new alerts land on; with SQLite's default
            // 2 MiB it re-read them from the file on most inserts. Readers keep the default.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -16384") }
            // Not inside a commit that webhooks wait on: see `afterCommits`.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        if readOnly {
            let mismatch = try pool.read { db in
                JournalSchemaMismatch(expected: Self.migrator.migrations, applied: try Self.migrator.appliedIdentifiers(db))
            }
            guard mismatch.isEmpty else { throw mismatch }
        } else {
            // Every commit synced to disk before it returns, so a 2xx survives a power cut, not only a crash. Set
            // here, after the pool switched the file to WAL: GRDB then sets the writer to `synchronous = NORMAL`,
            // which syncs only when the log is copied back, and a setting made while preparing the connection did
            // not survive it.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        }
        copier = readOnly ? nil : try WALCopier(path: path)
        self.auditKey = auditKey.map(ChainKey.init)
        let recordedKeyedFrom = { (db: Database) in try Int64.fetchOne(db, sql: "SELECT keyed_from FROM audit_keying") }
        let auditKeyID = auditKey.map { KeyID.of($0) }
        keyedFrom = try readOnly
            ? pool.read { db in
                if let auditKeyID { try Self.checkKeyID(auditKeyID, of: .audit, replacing: [], in: db, recording: false) }
                return try recordedKeyedFrom(db)
            }
            : pool.write { db in
                // Before anything is keyed with it: a key that differs from the journal's must not extend its chain.
                if let auditKeyID { try Self.checkKeyID(auditKeyID, of: .audit, replacing: [], in: db, recording: true) }
                if let recorded = try recordedKeyedFrom(db) { return recorded }
                guard auditKey != nil else { return nil }
                // A bare MAX is one step down the table's b-tree; inside a larger query it would read all of it.
                let next = (try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM journal") ?? 0) + 1
                try db.execute(sql: "INSERT INTO audit_keying (keyed_from) VALUES (?)", arguments: [next])
                return next
            }
        if let keyedFrom, auditKey == nil { throw AuditKeyMissing(keyedFrom: keyedFrom) }
        linkedFrom = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT sequence FROM journal_linked_from") ?? 1 }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE journal (
                        sequence INTEGER PRIMARY KEY,
                        recorded_at INTEGER NOT NULL,
                        rollout TEXT NOT NULL,
                        run INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        body TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX journal_by_rollout ON journal(rollout, kind, sequence);
                    -- The journal is append-only: the database itself refuses edits and deletions.
                    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
                        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
                    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
                        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        rollout TEXT NOT NULL,
                        run INTEGER NOT NULL,
                        lane TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_pending ON outbox(status, id);
                    CREATE TABLE alert_delivery (
                        fingerprint TEXT NOT NULL,
                        starts_at TEXT NOT NULL,
                        status TEXT NOT NULL,
                        PRIMARY KEY (fingerprint, starts_at, status)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-action-links") { db in
            try db.execute(
                sql: """
                    CREATE TABLE action_link_use (
                        nonce TEXT PRIMARY KEY,
                        rollout TEXT NOT NULL,
                        action TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        used_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3-typed-outbox") { db in
            // Lanes were one "kind:name" string and payloads wrapped the effect with its notifier, which the lane
            // already names: split the one and unwrap the other. Created times start at the first attempt's.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN lane_kind TEXT NOT NULL DEFAULT '';
                    ALTER TABLE outbox ADD COLUMN lane_name TEXT NOT NULL DEFAULT '';
                    ALTER TABLE outbox ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
                    UPDATE outbox SET
                        lane_kind = substr(lane, 1, instr(lane, ':') - 1),
                        lane_name = substr(lane, instr(lane, ':') + 1),
                        created_at = next_attempt_at,
                        payload = json_extract(payload, '$.effect');
                    ALTER TABLE outbox DROP COLUMN lane;
                    """)
        }
        migrator.registerMigration("v4-history-by-rollout") { db in
            // History pages walk one rollout's entries backwards from a sequence: an index read, not a scan.
            try db.execute(sql: "CREATE INDEX journal_by_rollout_sequence ON journal(rollout, sequence)")
        }
        migrator.registerMigration("v5-outbox-settled-at") { db in
            // Settled rows are pruned by when they settled; rows settled before this column existed count from
            // their last attempt.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN settled_at INTEGER;
                    UPDATE outbox SET settled_at = next_attempt_at WHERE status != 'pending';
                    CREATE INDEX outbox_settled ON outbox(settled_at) WHERE settled_at IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v6-latest-state") { db in
            // The newest transition of each rollout and its exact firing alerts, kept up to date by every commit,
            // so a start reads one row per rollout instead of searching the journal. Filled here from journals
            // written before, whose transitions still held every firing alert.
            try db.execute(
                sql: """
                    CREATE TABLE latest_transition (rollout TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO latest_transition (rollout, sequence)
                        SELECT rollout, MAX(sequence) FROM journal WHERE kind = 'transition' GROUP BY rollout;
                    CREATE TABLE firing_alert (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        rollout TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        starts_at TEXT NOT NULL,
                        alert TEXT NOT NULL,
                        UNIQUE (rollout, fingerprint)
                    );
                    INSERT INTO firing_alert (rollout, fingerprint, starts_at, alert)
                        SELECT j.rollout, json_extract(a.value, '$.fingerprint'), json_extract(a.value, '$.startsAt'), a.value
                        FROM latest_transition l JOIN journal j ON j.sequence = l.sequence,
                            json_each(j.body, '$.state.firingAlerts') a
                        ORDER BY j.rollout, a.key;
                    """)
        }
        migrator.registerMigration("v7-delivery-seen-at") { db in
            // Deliveries are remembered for a while, not for ever; those recorded before count from now.
            try db.execute(
                sql: """
                    ALTER TABLE alert_delivery ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;
                    UPDATE alert_delivery SET seen_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
                    CREATE INDEX alert_delivery_seen ON alert_delivery(seen_at);
                    """)
        }
        migrator.registerMigration("v8-drop-search-index") { db in
            // Served the search for each rollout's newest transition, which `latest_transition` now answers.
            try db.execute(sql: "DROP INDEX IF EXISTS journal_by_rollout")
        }
        migrator.registerMigration("v9-firing-by-fingerprint") { db in
            // Pruning asks, for each old delivery, whether its alert still fires: by fingerprint, not by rollout.
            try db.execute(sql: "CREATE INDEX firing_alert_by_fingerprint ON firing_alert(fingerprint, starts_at)")
        }
        migrator.registerMigration("v10-firing-alert-plain-rowid") { db in
            // AUTOINCREMENT wrote sqlite_sequence on every insert. A plain rowid is one more than the largest, so
            // the table still keeps the order alerts began firing in.
            try db.execute(
                sql: """
                    CREATE TABLE firing_alert_new (
                        id INTEGER PRIMARY KEY,
                        rollout TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        starts_at TEXT NOT NULL,
                        alert TEXT NOT NULL,
                        UNIQUE (rollout, fingerprint)
                    );
                    INSERT INTO firing_alert_new (id, rollout, fingerprint, starts_at, alert)
                        SELECT id, rollout, fingerprint, starts_at, alert FROM firing_alert;
                    DROP TABLE firing_alert;
                    ALTER TABLE firing_alert_new RENAME TO firing_alert;
                    CREATE INDEX firing_alert_by_fingerprint ON firing_alert(fingerprint, starts_at);
                    """)
        }
        migrator.registerMigration("v11-drop-firing-by-fingerprint") { db in
            // Served the delivery prune's "is it still firing?", which it no longer asks: the engine remembers the
            // firing of every alert still firing from `firing_alert` at start, whatever this table keeps. One
            // index less for every new alert to land in.
            try db.execute(sql: "DROP INDEX IF EXISTS firing_alert_by_fingerprint")
        }
        migrator.registerMigration("v12-audit-keying") { db in
            // Where keyed hashes begin: one row, written when the journal is first opened with a key, never changed.
            try db.execute(
                sql: """
                    CREATE TABLE audit_keying (keyed_from INTEGER NOT NULL);
                    CREATE TRIGGER audit_keying_no_update BEFORE UPDATE ON audit_keying
                        BEGIN SELECT RAISE(ABORT, 'where keys begin is fixed'); END;
                    CREATE TRIGGER audit_keying_no_delete BEFORE DELETE ON audit_keying
                        BEGIN SELECT RAISE(ABORT, 'where keys begin is fixed'); END;
                    """)
        }
        migrator.registerMigration("v13-deliveries-in-arrival-order") { db in
            // Keyed by fingerprint (a hash), each new delivery landed on a page of its own, which a storm wrote to
            // the log and copied back for every alert. Keyed by when it was seen, deliveries fill pages in order.
            // The engine recognises repeats from memory, so the table is looked up by that time only.
            try db.execute(
                sql: """
                    CREATE TABLE alert_delivery_new (
                        seen_at INTEGER NOT NULL,
                        fingerprint TEXT NOT NULL,
                        starts_at TEXT NOT NULL,
                        status TEXT NOT NULL,
                        PRIMARY KEY (seen_at, fingerprint, starts_at, status)
                    ) WITHOUT ROWID;
                    INSERT OR IGNORE INTO alert_delivery_new (seen_at, fingerprint, starts_at, status)
                        SELECT seen_at, fingerprint, starts_at, status FROM alert_delivery ORDER BY seen_at;
                    DROP TABLE alert_delivery;
                    ALTER TABLE alert_delivery_new RENAME TO alert_delivery;
                    """)
        }
        migrator.registerMigration("v14-firing-alerts-in-arrival-order") { db in
            // Found by (rollout, fingerprint), each new firing alert landed on a page of its rollout's part of an
            // index: in a storm a third of the pages every commit wrote. Found by when it was received (which
            // each change names), new alerts fill the index's last pages, as they fill the table's.
            try db.execute(
                sql: """
                    CREATE TABLE firing_alert_new (
                        id INTEGER PRIMARY KEY,
                        received_at INTEGER NOT NULL,
                        rollout TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        alert TEXT NOT NULL
                    )
                    """)
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO firing_alert_new (id, received_at, rollout, fingerprint, alert) VALUES (?, ?, ?, ?, ?)
                    """)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, rollout, fingerprint, alert FROM firing_alert")
            let decoder = JSONDecoder()
            while let row = try rows.next() {
                let alert = try decoder.decode(FiringAlert.self, from: Data((row["alert"] as String).utf8))
                try insert.execute(arguments: [
                    row["id"], alert.receivedAt.millisecondsSinceEpoch, row["rollout"], row["fingerprint"], row["alert"],
                ])
            }
            try db.execute(
                sql: """
                    DROP TABLE firing_alert;
                    ALTER TABLE firing_alert_new RENAME TO firing_alert;
                    CREATE UNIQUE INDEX firing_alert_by_arrival ON firing_alert(received_at, rollout, fingerprint);
                    """)
        }
        migrator.registerMigration("v15-history-by-rollout-links") { db in
            // An index of (rollout, sequence) put every commit on a page of each rollout it touched: a quarter of
            // what a storm wrote. Instead each entry names the rollout's entry before it, and `rollout_head` the
            // newest of each rollout (a few pages, whatever the storm). Entries written before keep the index,
            // limited to them; the first new entry of a rollout links to its newest old one.
            let linkedFrom = (try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM journal") ?? 0) + 1
            try db.execute(
                sql: """
                    ALTER TABLE journal ADD COLUMN rollout_previous INTEGER;
                    CREATE TABLE rollout_head (rollout TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO rollout_head (rollout, sequence) SELECT rollout, MAX(sequence) FROM journal GROUP BY rollout;
                    CREATE TABLE journal_linked_from (sequence INTEGER NOT NULL);
                    INSERT INTO journal_linked_from (sequence) VALUES (\(linkedFrom));
                    DROP INDEX journal_by_rollout_sequence;
                    CREATE INDEX journal_unlinked_by_rollout ON journal(rollout, sequence) WHERE sequence < \(linkedFrom);
                    """)
        }
        migrator.registerMigration("v16-firing-alerts-name-their-entry") { db in
            // A firing alert is made from its `alert-received` entry, written in the same transaction: a copy of it
            // was a fifth of what a storm wrote. Such a row names the entry instead (`entry`) and has no `alert`;
            // rows carried over, and alerts changed since (acknowledged), keep their copy, which wins.
            try db.execute(
                sql: """
                    CREATE TABLE firing_alert_new (
                        id INTEGER PRIMARY KEY,
                        received_at INTEGER NOT NULL,
                        rollout TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        entry INTEGER,
                        alert TEXT,
                        CHECK (entry IS NOT NULL OR alert IS NOT NULL)
                    );
                    INSERT INTO firing_alert_new (id, received_at, rollout, fingerprint, alert)
                        SELECT id, received_at, rollout, fingerprint, alert FROM firing_alert;
                    DROP TABLE firing_alert;
                    ALTER TABLE firing_alert_new RENAME TO firing_alert;
                    CREATE UNIQUE INDEX firing_alert_by_arrival ON firing_alert(received_at, rollout, fingerprint);
                    """)
        }
        migrator.registerMigration("v17-shared-key-ids") { db in
            // The id of each key every writer must share (`SharedKey`), recorded on first use. The audit key's is
            // fixed; the link signing key's is replaced by a rotation.
            try db.execute(
                sql: """
                    CREATE TABLE shared_key (name TEXT PRIMARY KEY, key_id TEXT NOT NULL);
                    CREATE TRIGGER shared_key_no_delete BEFORE DELETE ON shared_key
                        BEGIN SELECT RAISE(ABORT, 'a shared key on record stays on record'); END;
                    CREATE TRIGGER shared_key_audit_fixed BEFORE UPDATE ON shared_key WHEN OLD.name = 'audit'
                        BEGIN SELECT RAISE(ABORT, 'the audit key is fixed'); END;
                    """)
        }
        return migrator
    }

    public func checkKeyID(_ id: String, of key: SharedKey, replacing previous: Set<String>) async throws {
        try await pool.write { db in try Self.checkKeyID(id, of: key, replacing: previous, in: db, recording: true) }
    }

    /// Records `id` the first time, or in place of one on record that is in `previous`; throws `SharedKeyDiffers`
    /// for any other. `recording` false (a read-only audit) only compares.
    private static func checkKeyID(
        _ id: String, of key: SharedKey, replacing previous: Set<String>, in db: Database, recording: Bool
    ) throws {
        let recorded = try String.fetchOne(db, sql: "SELECT key_id FROM shared_key WHERE name = ?", arguments: [key.rawValue])
        guard let recorded else {
            if recording {
                try db.execute(sql: "INSERT INTO shared_key (name, key_id) VALUES (?, ?)", arguments: [key.rawValue, id])
            }
            return
        }
        guard recorded != id else { return }
        guard previous.contains(recorded) else { throw SharedKeyDiffers(key: key, recorded: recorded, given: id) }
        if recording {
            try db.execute(sql: "UPDATE shared_key SET key_id = ? WHERE name = ?", arguments: [id, key.rawValue])
        }
    }

    @discardableResult
    public func commit(_ units: [JournalUnit], at time: Timestamp) async throws -> [OutboxItem] {
        let rows = units.reduce(0) { $0 + $1.rowCount }
        defer {
            let copy = rowsSinceCheckpoint.withLock { rowsSince in
                rowsSince.total += rows
                rowsSince.sinceCopy += rows
                guard rowsSince.sinceCopy >= Self.rowsBetweenCheckpoints / 4 else { return false }
                rowsSince.sinceCopy = 0
                return true
            }
            if copy { copier?.copy() }
        }
        return try await pool.write { db in
            let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM journal ORDER BY sequence DESC LIMIT 1"))
            var sequence: Int64 = last?["sequence"] ?? 0
            var previous: String = last?["hash"] ?? HashChain.genesis
            // Each rollout's newest entry: read once a commit from `rollout_head`, written back at its end.
            var heads: [String: Int64?] = [:]
            func head(of rollout: String) throws -> Int64? {
                if let known = heads[rollout] { return known }
                let stored = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT sequence FROM rollout_head WHERE rollout = ?"), arguments: [rollout])
                heads[rollout] = stored
                return stored
            }
            func append(_ entry: NewJournalEntry) throws {
                let rolloutPrevious = try head(of: entry.rollout)
                sequence += 1
                heads[entry.rollout] = sequence
                let hash = HashChain.hash(
                    previous: previous, sequence: sequence, recordedAt: time.millisecondsSinceEpoch,
                    rollout: entry.rollout, run: entry.run, kind: entry.kind.rawValue, body: entry.body, key: auditKey)
                try db.write(
                    sql: """
                        INSERT INTO journal (sequence, recorded_at, rollout, run, kind, body, previous_hash, hash, rollout_previous)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    .integer(sequence), .integer(time.millisecondsSinceEpoch), .text(entry.rollout),
                    .integer(Int64(entry.run)), .text(entry.kind.rawValue), .text(entry.body), .text(previous),
                    .text(hash), rolloutPrevious.map(SQLiteValue.integer) ?? .null)
                previous = hash
                if entry.kind == .transition {
                    try db.write(
                        sql: """
                            INSERT INTO latest_transition (rollout, sequence) VALUES (?, ?)
                            ON CONFLICT (rollout) DO UPDATE SET sequence = excluded.sequence
                            """,
                        .text(entry.rollout), .integer(sequence))
                }
            }
            /// `entry`: the sequence of the `alert-received` entry the alert was made from, written instead of a copy.
            func insertFiring(_ alert: FiringAlert, of rollout: String, entry: Int64? = nil) throws {
                try db.write(
                    sql: """
                        INSERT INTO firing_alert (received_at, rollout, fingerprint, entry, alert) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (received_at, rollout, fingerprint) DO UPDATE SET entry = excluded.entry, alert = excluded.alert
                        """,
                    .integer(alert.receivedAt.millisecondsSinceEpoch), .text(rollout), .text(alert.fingerprint),
                    entry.map(SQLiteValue.integer) ?? .null, entry == nil ? .text(alert.canonicalJSON) : .null)
            }
            func deleteFiring(_ alert: FiringAlert, of rollout: String) throws {
                try db.write(
                    sql: "DELETE FROM firing_alert WHERE received_at = ? AND rollout = ? AND fingerprint = ?",
                    .integer(alert.receivedAt.millisecondsSinceEpoch), .text(rollout), .text(alert.fingerprint))
            }
            var created: [OutboxItem] = []
            for unit in units {
                // The unit's entries take the sequences from here on, in order.
                let firstOfUnit = sequence + 1
                for entry in unit.entries { try append(entry) }
                /// The sequence of the unit's `alert-received` entry at `index` of `rollout`, checked.
                func received(at index: Int?, of rollout: String) -> Int64? {
                    guard let index, unit.entries.indices.contains(index), unit.entries[index].kind == .alertReceived,
                        unit.entries[index].rollout == rollout
                    else { return nil }
                    return firstOfUnit + Int64(index)
                }
                for effect in unit.effects {
                    let payload = JournalJSON.encode(effect.effect)
                    try db.write(
                        sql: """
                            INSERT INTO outbox (rollout, run, lane_kind, lane_name, payload, status, created_at, next_attempt_at)
                            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
                            """,
                        .text(effect.rollout), .integer(Int64(effect.run)), .text(effect.lane.kind), .text(effect.lane.name),
                        .text(payload), .integer(time.millisecondsSinceEpoch), .integer(time.millisecondsSinceEpoch))
                    let id = db.lastInsertedRowID
                    created.append(
                        OutboxItem(
                            id: id, rollout: effect.rollout, run: effect.run, lane: effect.lane, effect: effect.effect,
                            createdAt: time, nextAttemptAt: time))
                    try append(
                        NewJournalEntry(
                            rollout: effect.rollout, run: effect.run, kind: .effectRequested,
                            body: JournalJSON.encode(EffectBodies.Requested(id: id, effect))))
                }
                for settlement in unit.settlements {
                    let item = settlement.effect
                    var nextAttemptAt = time
                    if case .retrying(_, let at) = settlement.outcome { nextAttemptAt = at }
                    try db.write(
                        sql: """
                            UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, settled_at = ?
                            WHERE id = ?
                            """,
                        .text(settlement.outcome.rowStatus), .integer(Int64(settlement.attempts)),
                        .integer(nextAttemptAt.millisecondsSinceEpoch),
                        (settlement.outcome.error ?? item.lastError).map(SQLiteValue.text) ?? .null,
                        settlement.outcome.isPending ? .null : .integer(time.millisecondsSinceEpoch), .integer(item.id))
                    try append(
                        NewJournalEntry(
                            rollout: item.rollout, run: item.run, kind: .effectResult,
                            body: JournalJSON.encode(EffectBodies.Result(settlement))))
                }
                for use in unit.linkUses {
                    // A plain INSERT: a second use of one nonce must fail the transaction, not pass silently.
                    try db.write(
                        sql: "INSERT INTO action_link_use (nonce, rollout, action, actor, used_at) VALUES (?, ?, ?, ?, ?)",
                        .text(use.nonce), .text(use.rollout), .text(use.action.rawValue), .text(use.actor),
                        .integer(use.usedAt.millisecondsSinceEpoch))
                }
                for delivery in unit.deliveries {
                    try db.write(
                        sql: "INSERT OR IGNORE INTO alert_delivery (seen_at, fingerprint, starts_at, status) VALUES (?, ?, ?, ?)",
                        .integer(delivery.seenAt.millisecondsSinceEpoch), .text(delivery.key.fingerprint),
                        .text(delivery.key.startsAt), .text(delivery.key.status.rawValue))
                }
                for change in unit.firingChanges {
                    switch change {
                    case .starts(let rollout, let alert, let index):
                        try insertFiring(alert, of: rollout, entry: received(at: index, of: rollout))
                    case .fires(let rollout, let alert, let replaced) where alert.startsAt == replaced.startsAt:
                        // The same episode, changed (acknowledged): it keeps its place.
                        try db.write(
                            sql: """
                                UPDATE firing_alert SET received_at = ?, alert = ?
                                WHERE received_at = ? AND rollout = ? AND fingerprint = ?
                                """,
                            .integer(alert.receivedAt.millisecondsSinceEpoch), .text(alert.canonicalJSON),
                            .integer(replaced.receivedAt.millisecondsSinceEpoch), .text(rollout), .text(replaced.fingerprint))
                    case .fires(let rollout, let alert, let replaced):
                        // A new episode takes a new place at the end, as it does in the rollout's state.
                        try deleteFiring(replaced, of: rollout)
                        try insertFiring(alert, of: rollout)
                    case .ends(let rollout, let alert):
                        try deleteFiring(alert, of: rollout)
                    }
                }
                for delivery in unit.forgottenDeliveries {
                    try db.write(
                        sql: "DELETE FROM alert_delivery WHERE seen_at = ? AND fingerprint = ? AND starts_at = ? AND status = ?",
                        .integer(delivery.seenAt.millisecondsSinceEpoch), .text(delivery.key.fingerprint),
                        .text(delivery.key.startsAt), .text(delivery.key.status.rawValue))
                }
            }
            for case (let rollout, let newest?) in heads {
                try db.write(
                    sql: """
                        INSERT INTO rollout_head (rollout, sequence) VALUES (?, ?)
                        ON CONFLICT (rollout) DO UPDATE SET sequence = excluded.sequence
                        """,
                    .text(rollout), .integer(newest))
            }
            return created
        }
    }

    /// SQLite copies its write-ahead log back into the database inside the commit that grows the log past 1,000
    /// pages, and that commit, with every webhook waiting on it, then also waits for the copy and an fsync of the
    /// database file: one delivery in a hundred took three times as long. Done here instead, by the same writer once
    /// the commit's callers have their answer, so the log still restarts from its beginning and stays small.
    public func afterCommits() async {
        let due = rowsSinceCheckpoint.withLock { rows in
            guard rows.total >= Self.rowsBetweenCheckpoints else { return false }
            rows.total = 0
            return true
        }
        guard due else { return }
        // A failed checkpoint loses nothing: the log keeps the pages and the next one copies them.
        _ = try? await pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
    }

    /// In a storm a row costs about two pages of log (index pages land all over the file), so the log stays under
    /// about 50 MB; checkpointing more often (every thousand rows) cost a fifth of the ingest rate.
    static let rowsBetweenCheckpoints = 4000

    public func latestTransitions() async throws -> [String: String] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT l.rollout, j.body FROM latest_transition l JOIN journal j ON j.sequence = l.sequence")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["rollout"] as String, $0["body"] as String) })
        }
    }

    public func firingAlerts() async throws -> [String: [FiringAlert]] {
        try await pool.read { db in
            var firing: [String: [FiringAlert]] = [:]
            let decoder = JSONDecoder()
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT f.id, f.rollout, f.received_at, f.entry, f.alert, j.body FROM firing_alert f
                    LEFT JOIN journal j ON j.sequence = f.entry AND j.kind = 'alert-received'
                    ORDER BY f.id
                    """)
            while let row = try rows.next() {
                let alert: FiringAlert
                if let copy = row["alert"] as String? {
                    alert = try decoder.decode(FiringAlert.self, from: Data(copy.utf8))
                } else if let body = row["body"] as String? {
                    let received = try decoder.decode(AlertReceivedBody.self, from: Data(body.utf8))
                    alert = received.firingAlert(receivedAt: Timestamp(millisecondsSinceEpoch: row["received_at"]))
                } else {
                    throw DatabaseError(
                        message: "firing alert \(row["id"] as Int64) names entry \(row["entry"] as Int64? ?? 0), "
                            + "which is no alert-received entry of the journal")
                }
                firing[row["rollout"], default: []].append(alert)
            }
            return firing
        }
    }

    public func deliveries(seenSince since: Timestamp) async throws -> [AlertDeliveryKey: Timestamp] {
        try await pool.read { db in
            var deliveries: [AlertDeliveryKey: Timestamp] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT fingerprint, starts_at, status, seen_at FROM alert_delivery WHERE seen_at >= ?",
                arguments: [since.millisecondsSinceEpoch])
            while let row = try rows.next() {
                guard let status = AlertObservation.Status(rawValue: row["status"]) else { continue }
                deliveries[AlertDeliveryKey(fingerprint: row["fingerprint"], startsAt: row["starts_at"], status: status)] =
                    Timestamp(millisecondsSinceEpoch: row["seen_at"])
            }
            return deliveries
        }
    }

    /// In batches, each its own transaction (see `deleteInBatches`). A batch is one range of the table's key, up
    /// to the batch's newest delivery: picking the batch's rows by `IN (SELECT … LIMIT)` made SQLite search by
    /// `seen_at` alone, reading every delivery of that millisecond for each row (0.13 s a batch when a million shared
    /// one), where a range is read once (2 ms).
    public func pruneDeliveries(seenBefore cutoff: Timestamp) async throws -> Int {
        let batch = 2000
        var total = 0
        while true {
            let deleted = try await pool.write { db in
                let newestOfBatch = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT seen_at, fingerprint, starts_at, status FROM alert_delivery WHERE seen_at < ?
                        ORDER BY seen_at, fingerprint, starts_at, status LIMIT 1 OFFSET ?
                        """,
                    arguments: [cutoff.millisecondsSinceEpoch, batch - 1])
                if let newest = newestOfBatch {
                    try db.execute(
                        sql: "DELETE FROM alert_delivery WHERE (seen_at, fingerprint, starts_at, status) <= (?, ?, ?, ?)",
                        arguments: [newest[0], newest[1], newest[2], newest[3]])
                } else {
                    try db.execute(sql: "DELETE FROM alert_delivery WHERE seen_at < ?", arguments: [cutoff.millisecondsSinceEpoch])
                }
                return db.changesCount
            }
            total += deleted
            if deleted < batch { return total }
        }
    }

    public func linkUses() async throws -> [ActionLinkUse] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM action_link_use").compactMap { row in
                HumanAction(rawValue: row["action"]).map { action in
                    ActionLinkUse(
                        nonce: row["nonce"], rollout: row["rollout"], action: action, actor: row["actor"],
                        usedAt: Timestamp(millisecondsSinceEpoch: row["used_at"]))
                }
            }
        }
    }

    public func pendingEffects() async throws -> [OutboxItem] {
        try await pool.read { db in
            try OutboxItem.fetchAll(db, sql: "SELECT * FROM outbox WHERE status = 'pending' ORDER BY id")
        }
    }

    public func history(of rollout: String) async throws -> [JournalEntry] {
        try await pool.read { [linkedFrom] db in
            try Self.entries(of: rollout, before: nil, limit: Int.max, linkedFrom: linkedFrom, db).reversed()
        }
    }

    public func history(of rollout: String, before: Int64?, limit: Int) async throws -> HistoryPage {
        try await pool.read { [linkedFrom] db in
            // One more than asked: whether it exists says if there is an older page.
            let newestFirst = try Self.entries(of: rollout, before: before, limit: limit + 1, linkedFrom: linkedFrom, db)
            let page = Array(newestFirst.prefix(limit).reversed())
            return HistoryPage(entries: page, next: newestFirst.count > limit ? page.first?.sequence : nil)
        }
    }

    /// Up to `limit` of the rollout's entries older than `before` (or its newest), newest first: along the links
    /// from each entry to the rollout's one before it, then, among entries written before links, through their
    /// index (`journal_unlinked_by_rollout`, which the query names by its bound `linkedFrom`).
    private static func entries(
        of rollout: String, before: Int64?, limit: Int, linkedFrom: Int64, _ db: Database
    ) throws -> [JournalEntry] {
        let byRollout = try db.cachedStatement(
            sql: "SELECT * FROM journal WHERE rollout = ? AND sequence < ? AND sequence < \(linkedFrom) ORDER BY sequence DESC LIMIT ?")
        let bySequence = try db.cachedStatement(sql: "SELECT * FROM journal WHERE sequence = ?")
        func row(_ sequence: Int64) throws -> Row? { try Row.fetchOne(bySequence, arguments: [sequence]) }

        // The rollout's newest entry older than `before`.
        var next = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT sequence FROM rollout_head WHERE rollout = ?"), arguments: [rollout])
        if let before {
            if before <= linkedFrom {
                next = before - 1
            } else if let after = try row(before), after["rollout"] == rollout as String {
                next = after["rollout_previous"]
            } else {
                // Not an entry of this rollout (a hand-made `before`): walk back from the newest.
                while let candidate = next, candidate >= before { next = try row(candidate)?["rollout_previous"] }
            }
        }
        var found: [JournalEntry] = []
        while found.count < limit, let sequence = next, sequence >= linkedFrom, let row = try row(sequence) {
            if let entry = entry(from: row) { found.append(entry) }
            next = row["rollout_previous"]
        }
        if found.count < limit, let sequence = next, sequence < linkedFrom {
            let rows = try Row.fetchAll(byRollout, arguments: [rollout, sequence + 1, min(limit - found.count, Int(Int32.max))])
            found += rows.compactMap(entry(from:))
        }
        return found
    }

    public func pruneOutbox(settledBefore cutoff: Timestamp) async throws -> Int {
        try await deleteInBatches(
            sql: "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE settled_at < ? LIMIT ?)", before: cutoff)
    }

    /// Runs a `DELETE … (… LIMIT ?)` of rows older than `cutoff` until it deletes fewer than a batch, each batch its
    /// own transaction: a prune after a storm must not hold the write lock that webhook and rollback commits wait
    /// for. Returns how many rows went.
    private func deleteInBatches(sql: String, before cutoff: Timestamp, batch: Int = 2000) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await pool.write { db in
                try db.execute(sql: sql, arguments: [cutoff.millisecondsSinceEpoch, batch])
                return db.changesCount
            }
            total += deleted
            if deleted < batch { return total }
        }
    }

    public func ping() async throws {
        // One step down the journal's b-tree: `count(*)` read all of it (a tenth of a second at a million entries)
        // on every readiness probe.
        _ = try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT sequence FROM journal ORDER BY sequence DESC LIMIT 1") }
    }

    public func head() async throws -> JournalHead? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT sequence, hash FROM journal ORDER BY sequence DESC LIMIT 1").map {
                JournalHead(sequence: $0["sequence"], hash: $0["hash"])
            }
        }
    }

    public func verifyChain(expecting anchor: JournalHead?, resumingAt known: JournalHead?) async throws -> ChainVerification {
        try await pool.read { [auditKey, keyedFrom] db in
            var walk = ChainWalk(key: auditKey, keyedFrom: keyedFrom, anchor: anchor, resumingAt: known)
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT * FROM journal WHERE sequence >= ? ORDER BY sequence", arguments: [walk.firstSequence])
            while let row = try cursor.next() {
                if let broken = walk.step(
                    sequence: row["sequence"], recordedAt: row["recorded_at"], rollout: row["rollout"], run: row["run"],
                    kind: row["kind"], body: row["body"], link: row["previous_hash"], stored: row["hash"])
                {
                    return broken
                }
            }
            return walk.finish()
        }
    }

    private static func entry(from row: Row) -> JournalEntry? {
        guard let kind = JournalKind(rawValue: row["kind"]) else { return nil }
        return JournalEntry(
            sequence: row["sequence"], recordedAt: Timestamp(millisecondsSinceEpoch: row["recorded_at"]),
            rollout: row["rollout"], run: row["run"], kind: kind, body: row["body"],
            previousHash: row["previous_hash"], hash: row["hash"])
    }
}
