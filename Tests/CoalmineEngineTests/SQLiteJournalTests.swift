import CoalmineCore
import CoalmineTestSupport
import GRDB
import Testing

@testable import CoalmineJournal

/// What only the embedded store has: its file format and the migrations from earlier releases. What every store
/// must do is in `JournalStoreTests`.
@Suite struct SQLiteJournalTests {
    @Test func theJournalUsesWriteAheadLogging() async throws {
        let workspace = try TestWorkspace()
        _ = try SQLiteJournal(path: workspace.journalPath)
        let raw = try DatabaseQueue(path: workspace.journalPath)
        #expect(try await raw.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func everyCommitIsSyncedToDiskBeforeItReturns() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        // FULL (2): the write-ahead log is synced at every commit. GRDB's WAL set-up leaves NORMAL (1), which syncs
        // only when the log is copied back: a power cut could then lose commits already answered 2xx.
        let mode = try await journal.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(mode == 2)
    }

    @Test func anOutboxWrittenBeforeTypedLanesIsReadAsTyped() async throws {
        let workspace = try TestWorkspace()
        try Self.writeJournalOfAnEarlierRelease(
            at: workspace.journalPath,
            rows: """
                INSERT INTO outbox (rollout, run, lane, payload, status, attempts, next_attempt_at, last_error)
                VALUES ('tf-model-service', 1, 'router:tf-model-service',
                    '{"effect":{"setWeights":{"_0":{"canary":5,"run":1}}}}', 'pending', 2, 5000, '503');
                INSERT INTO journal VALUES (1, 5000, 'tf-model-service', 1, 'transition',
                    '{"state":{"firingAlerts":[\(Self.oldFiring("b")),\(Self.oldFiring("a"))]}}', '0', 'h1');
                INSERT INTO journal VALUES (2, 5000, 'tf-model-service', 1, 'alert-received', '{}', 'h1', 'h2');
                INSERT INTO alert_delivery VALUES ('a', '2027-01-15T08:00:00Z', 'firing');
                """)
        let journal = try SQLiteJournal(path: workspace.journalPath)
        let pending = try await journal.pendingEffects()
        #expect(
            pending == [
                OutboxItem(
                    id: 1, rollout: "tf-model-service", run: 1, lane: .router(rollout: "tf-model-service"),
                    effect: .setWeights(WeightSplit(run: 1, canary: 5)), attempts: 2,
                    createdAt: Timestamp(millisecondsSinceEpoch: 5000), nextAttemptAt: Timestamp(millisecondsSinceEpoch: 5000),
                    lastError: "503")
            ])
        #expect(try await journal.latestTransitions().keys.sorted() == ["tf-model-service"])
        let firing = try await journal.firingAlerts()["tf-model-service"]
        #expect(firing?.map(\.fingerprint) == ["b", "a"], "every firing alert of the old transitions, in order")
        var end = JournalUnit()
        end.firingChanges = [.ends(rollout: "tf-model-service", try #require(firing?.last))]
        try await journal.commit([end], at: Timestamp(secondsSinceEpoch: 6))
        #expect(
            try await journal.firingAlerts()["tf-model-service"]?.map(\.fingerprint) == ["b"],
            "an alert carried over is found by when it was received")
        let remembered = try await journal.deliveries(seenSince: Timestamp(secondsSinceEpoch: 0))
        #expect(
            Array(remembered.keys) == [AlertDeliveryKey(fingerprint: "a", startsAt: "2027-01-15T08:00:00Z", status: .firing)],
            "deliveries remembered before they were kept in arrival order are still remembered")
    }

    /// A journal as the second release wrote it (migrations `v1` and `v2-action-links`), with `rows` in it.
    static func writeJournalOfAnEarlierRelease(at path: String, rows: String) throws {
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1'), ('v2-action-links');
                    CREATE TABLE journal (sequence INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL,
                        rollout TEXT NOT NULL, run INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
                        previous_hash TEXT NOT NULL, hash TEXT NOT NULL);
                    CREATE INDEX journal_by_rollout ON journal(rollout, kind, sequence);
                    CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL,
                        run INTEGER NOT NULL, lane TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT);
                    CREATE INDEX outbox_pending ON outbox(status, id);
                    CREATE TABLE alert_delivery (fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL,
                        status TEXT NOT NULL, PRIMARY KEY (fingerprint, starts_at, status)) WITHOUT ROWID;
                    CREATE TABLE action_link_use (nonce TEXT PRIMARY KEY, rollout TEXT NOT NULL,
                        action TEXT NOT NULL, actor TEXT NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID;
                    """ + rows)
        }
        try old.close()
    }

    /// Entries written before each entry linked to its rollout's previous one are still paged through, and the
    /// first new entries link to them.
    @Test(arguments: [1, 2, 3, 10]) func historyPagesCrossFromLinkedEntriesToOlderOnes(limit: Int) async throws {
        let workspace = try TestWorkspace()
        // Sequences 1…6: tf-model-service has 1, 3, 5; ranker 2, 4, 6.
        let oldRows = (1...6).map { sequence in
            let rollout = sequence % 2 == 1 ? "tf-model-service" : "ranker"
            return "INSERT INTO journal VALUES (\(sequence), 5000, '\(rollout)', 1, 'transition', '{}', 'h\(sequence - 1)', 'h\(sequence)');"
        }
        try Self.writeJournalOfAnEarlierRelease(at: workspace.journalPath, rows: oldRows.joined(separator: "\n"))
        let journal = try SQLiteJournal(path: workspace.journalPath)
        var unit = JournalUnit()
        for _ in 0..<3 {
            // Sequences 7…12: tf-model-service has 7, 9, 11.
            unit.entries.append(NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .transition, body: "{}"))
            unit.entries.append(NewJournalEntry(rollout: "ranker", run: 1, kind: .transition, body: "{}"))
        }
        try await journal.commit([unit], at: Timestamp(secondsSinceEpoch: 6))

        #expect(try await journal.history(of: "tf-model-service").map(\.sequence) == [1, 3, 5, 7, 9, 11])
        var walked: [Int64] = []
        var before: Int64?
        repeat {
            let page = try await journal.history(of: "tf-model-service", before: before, limit: limit)
            walked = page.entries.map(\.sequence) + walked
            before = page.next
        } while before != nil && walked.count < 20
        #expect(walked == [1, 3, 5, 7, 9, 11], "every entry once, across the entries written before links")
        // A `before` that is no entry of the rollout: its entries older than that, on either side.
        #expect(try await journal.history(of: "tf-model-service", before: 10, limit: 2).entries.map(\.sequence) == [7, 9])
        #expect(try await journal.history(of: "tf-model-service", before: 8, limit: 2).entries.map(\.sequence) == [5, 7])
        #expect(try await journal.history(of: "tf-model-service", before: 4, limit: 5).entries.map(\.sequence) == [1, 3])
        #expect(try await journal.history(of: "ranker", before: 9, limit: 3).entries.map(\.sequence) == [4, 6, 8])
    }

    static func oldFiring(_ fingerprint: String) -> String {
        #"{"acknowledged":false,"fingerprint":"\#(fingerprint)","name":"Gate","receivedAt":"2027-01-15T08:00:00Z","role":"gate","startsAt":"2027-01-15T08:00:00Z"}"#
    }
}
