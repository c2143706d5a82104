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
        first.effects = [NewEffect(rollout: "tf-model-service", run: 1, lane: "router:tf-model-service", payload: "{}")]
        try await journal.commit([first], at: Timestamp(secondsSinceEpoch: 1))
        let pending = try await journal.pendingEffects()
        #expect(pending.count == 1)
        let requested = try await journal.history(of: "tf-model-service")
        #expect(requested.map(\.kind) == [.effectRequested], "each effect is journaled as requested")
        var settle = JournalUnit()
        settle.effectUpdates = [EffectUpdate(id: pending[0].id, status: .done, attempts: 1, nextAttemptAt: Timestamp(secondsSinceEpoch: 2))]
        try await journal.commit([settle], at: Timestamp(secondsSinceEpoch: 2))
        #expect(try await journal.pendingEffects().isEmpty)
    }
}
