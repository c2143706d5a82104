import CoalmineCore
import CoalmineJournal
import CoalmineTestSupport
import GRDB
import Testing

@Suite struct SQLiteJournalTests {
    func unit(_ bodies: [String]) -> JournalUnit {
        var unit = JournalUnit()
        unit.entries = bodies.map { NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .transition, body: $0) }
        return unit
    }

    @Test func entriesChainAndVerify() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        try await journal.commit([unit(["{\"a\":1}", "{\"a\":2}"]), unit(["{\"a\":3}"])], at: Timestamp(secondsSinceEpoch: 1))
        let entries = try await journal.history(of: "tf-model-service")
        #expect(entries.map(\.sequence) == [1, 2, 3])
        #expect(entries[1].previousHash == entries[0].hash)
        #expect(entries[2].previousHash == entries[1].hash)
        #expect(try await journal.verifyChain() == .intact(entries: 3))
    }

    @Test(arguments: [1, 3, 4, 6, 7]) func historyPagesWalkBackToTheFirstEntryAndNoFurther(limit: Int) async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        // Six entries of this rollout between entries of another.
        var mixed = JournalUnit()
        for index in 0..<6 {
            mixed.entries.append(NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .transition, body: "{\"i\":\(index)}"))
            mixed.entries.append(NewJournalEntry(rollout: "ranker", run: 1, kind: .transition, body: "{}"))
        }
        try await journal.commit([mixed], at: Timestamp(secondsSinceEpoch: 1))
        var pages: [HistoryPage] = []
        var before: Int64?
        repeat {
            let page = try await journal.history(of: "tf-model-service", before: before, limit: limit)
            #expect(page.entries.count == min(limit, 6 - pages.count * limit))
            #expect(page.entries.map(\.sequence) == page.entries.map(\.sequence).sorted(), "oldest first within a page")
            pages.append(page)
            before = page.next
        } while before != nil && pages.count < 10
        #expect(pages.count == (6 + limit - 1) / limit, "no empty page at the end, even when \(limit) divides 6")
        #expect(pages.last?.next == nil)
        let walked = pages.reversed().flatMap(\.entries)
        #expect(walked == (try await journal.history(of: "tf-model-service")), "the pages are the whole history, once")
        #expect(try await journal.history(of: "tf-model-service", before: 1, limit: 5) == HistoryPage(entries: [], next: nil))
    }

    @Test func oldDeliveriesArePrunedInBatches() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        var old = JournalUnit()
        old.deliveries = (0..<4500).map { AlertDeliveryKey(fingerprint: "f\($0)", startsAt: "s", status: .firing) }
        let firing = FiringAlert(
            observation: AlertObservation(status: .firing, fingerprint: "f7", startsAt: "s", labels: ["alertname": "A"]),
            role: .gate, receivedAt: Timestamp(secondsSinceEpoch: 1))
        old.firingChanges = [.fires(rollout: "tf-model-service", firing)]
        try await journal.commit([old], at: Timestamp(secondsSinceEpoch: 1))
        var recent = JournalUnit()
        recent.deliveries = [AlertDeliveryKey(fingerprint: "new", startsAt: "s", status: .resolved)]
        try await journal.commit([recent], at: Timestamp(secondsSinceEpoch: 100))

        #expect(try await journal.pruneDeliveries(seenBefore: Timestamp(secondsSinceEpoch: 50)) == 4500, "over three batches")
        let kept = try await journal.deliveries(seenSince: Timestamp(secondsSinceEpoch: 0))
        #expect(Set(kept.keys.map(\.fingerprint)) == ["new"], "the recent one")
        #expect(try await journal.firingAlerts()["tf-model-service"]?.map(\.fingerprint) == ["f7"], "firing alerts stay")
    }

    @Test func theDatabaseRefusesEditsAndDeletions() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        try await journal.commit([unit(["{}"])], at: Timestamp(secondsSinceEpoch: 1))
        let raw = try DatabaseQueue(path: workspace.journalPath)
        await #expect(throws: DatabaseError.self) { try await raw.write { try $0.execute(sql: "UPDATE journal SET body = '{\"x\":1}'") } }
        await #expect(throws: DatabaseError.self) { try await raw.write { try $0.execute(sql: "DELETE FROM journal") } }
    }

    @Test func aTamperedRowIsNamedByVerification() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        try await journal.commit([unit(["{\"to\":\"observing\"}", "{\"to\":\"paused\"}", "{\"to\":\"rolled-back\"}"])], at: Timestamp(secondsSinceEpoch: 1))
        // Whoever can write the file can drop the triggers too; the hash chain still tells.
        let raw = try DatabaseQueue(path: workspace.journalPath)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER journal_no_update")
            try db.execute(sql: "UPDATE journal SET body = '{\"to\":\"promoted\"}' WHERE sequence = 2")
        }
        #expect(try await journal.verifyChain() == .broken(sequence: 2, reason: "its content does not match its hash"))
    }

    @Test func aDeletedRowIsNamedByVerification() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        try await journal.commit([unit(["{}", "{}", "{}"])], at: Timestamp(secondsSinceEpoch: 1))
        let raw = try DatabaseQueue(path: workspace.journalPath)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER journal_no_delete")
            try db.execute(sql: "DELETE FROM journal WHERE sequence = 2")
        }
        #expect(try await journal.verifyChain() == .broken(sequence: 2, reason: "entry 2 is missing"))
    }

    @Test func theJournalUsesWriteAheadLogging() async throws {
        let workspace = try TestWorkspace()
        _ = try SQLiteJournal(path: workspace.journalPath)
        let raw = try DatabaseQueue(path: workspace.journalPath)
        #expect(try await raw.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func effectsWaitInTheOutboxUntilSettled() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath)
        var first = JournalUnit()
        first.effects = [
            NewEffect(
                rollout: "tf-model-service", run: 1, lane: .router(rollout: "tf-model-service"),
                effect: .setWeights(WeightSplit(run: 1, canary: 5)))
        ]
        let created = try await journal.commit([first], at: Timestamp(secondsSinceEpoch: 1))
        let pending = try await journal.pendingEffects()
        #expect(pending.count == 1)
        #expect(pending == created, "the commit hands back exactly what the outbox holds")
        #expect(pending[0].effect == .setWeights(WeightSplit(run: 1, canary: 5)))
        let requested = try await journal.history(of: "tf-model-service")
        #expect(requested.map(\.kind) == [.effectRequested], "each effect is journaled as requested")
        var settle = JournalUnit()
        settle.settlements = [EffectSettlement(pending[0], .applied(WeightSplit(run: 1, canary: 5)), tried: true)]
        try await journal.commit([settle], at: Timestamp(secondsSinceEpoch: 2))
        #expect(try await journal.pendingEffects().isEmpty)
    }

    @Test func anOutboxWrittenBeforeTypedLanesIsReadAsTyped() async throws {
        let workspace = try TestWorkspace()
        // The schema and rows as the previous release wrote them.
        let old = try DatabaseQueue(path: workspace.journalPath)
        try await old.write { db in
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
                    INSERT INTO outbox (rollout, run, lane, payload, status, attempts, next_attempt_at, last_error)
                    VALUES ('tf-model-service', 1, 'router:tf-model-service',
                        '{"effect":{"setWeights":{"_0":{"canary":5,"run":1}}}}', 'pending', 2, 5000, '503');
                    INSERT INTO journal VALUES (1, 5000, 'tf-model-service', 1, 'transition',
                        '{"state":{"firingAlerts":[\(Self.oldFiring("b")),\(Self.oldFiring("a"))]}}', '0', 'h1');
                    INSERT INTO journal VALUES (2, 5000, 'tf-model-service', 1, 'alert-received', '{}', 'h1', 'h2');
                    """)
        }
        try old.close()
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
    }

    static func oldFiring(_ fingerprint: String) -> String {
        #"{"acknowledged":false,"fingerprint":"\#(fingerprint)","name":"Gate","receivedAt":"2027-01-15T08:00:00Z","role":"gate","startsAt":"2027-01-15T08:00:00Z"}"#
    }
}
