import CoalmineCore
import CoalmineTestSupport
import Crypto
import GRDB
import Logging
import MetricsTestKit
import Testing

@testable import CoalmineEngine
@testable import CoalmineJournal

/// What the audit key and anchors add to the hash chain: a chain rebuilt without the key, and a journal cut short
/// since an anchor, are both found; journals from before keys still verify.
@Suite struct KeyedJournalTests {
    private func decisions(_ actors: [String]) -> JournalUnit {
        var unit = JournalUnit()
        unit.entries = actors.map {
            NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .humanAction, body: "{\"actor\":\"\($0)\"}")
        }
        return unit
    }

    /// What someone who can write the database but has no key does: change entry `sequence`'s actor and rebuild
    /// the chain from there with plain SHA-256, as the code that writes it would.
    private func rewriteAndRechain(_ path: String, from sequence: Int64) async throws {
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER journal_no_update")
            try db.execute(sql: "UPDATE journal SET body = '{\"actor\":\"mallory\"}' WHERE sequence = ?", arguments: [sequence])
            var previous = try String.fetchOne(db, sql: "SELECT hash FROM journal WHERE sequence = ?", arguments: [sequence - 1])
                ?? HashChain.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE sequence >= ? ORDER BY sequence", arguments: [sequence]) {
                let hash = HashChain.hash(
                    previous: previous, sequence: row["sequence"], recordedAt: row["recorded_at"], rollout: row["rollout"],
                    run: row["run"], kind: row["kind"], body: row["body"])
                try db.execute(
                    sql: "UPDATE journal SET previous_hash = ?, hash = ? WHERE sequence = ?",
                    arguments: [previous, hash, row["sequence"] as Int64])
                previous = hash
            }
        }
    }

    @Test func aRewriteRechainedWithoutTheKeyIsFoundWhereAnUnkeyedChainWouldPass() async throws {
        let keyed = try TestWorkspace()
        let journal = try SQLiteJournal(path: keyed.journalPath, auditKey: "audit-secret")
        try await journal.commit([decisions(["alice", "bob", "carol", "dave", "erin"])], at: Timestamp(secondsSinceEpoch: 1))
        try await rewriteAndRechain(keyed.journalPath, from: 3)
        #expect(try await journal.verifyChain() == .broken(sequence: 3, reason: "its content does not match its hash"))

        // Without a key the same rewrite passes: why the key matters.
        let plain = try TestWorkspace()
        let unkeyed = try SQLiteJournal(path: plain.journalPath)
        try await unkeyed.commit([decisions(["alice", "bob", "carol", "dave", "erin"])], at: Timestamp(secondsSinceEpoch: 1))
        try await rewriteAndRechain(plain.journalPath, from: 3)
        #expect(try await unkeyed.verifyChain() == .intact(entries: 5))
    }

    @Test func aJournalCutShortSinceAnAnchorIsFoundOnlyAgainstTheAnchor() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath, auditKey: "audit-secret")
        try await journal.commit([decisions((1...10).map { "person-\($0)" })], at: Timestamp(secondsSinceEpoch: 1))
        let anchor = try #require(try await journal.head())
        #expect(anchor.sequence == 10)
        #expect(try await journal.verifyChain(expecting: anchor) == .intact(entries: 10))
        let earlier = JournalHead(sequence: 4, hash: try #require(try await journal.history(of: "tf-model-service")[3].hash))
        #expect(try await journal.verifyChain(expecting: earlier) == .intact(entries: 10))

        let raw = try DatabaseQueue(path: workspace.journalPath)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER journal_no_delete")
            try db.execute(sql: "DELETE FROM journal WHERE sequence > 5")
        }
        #expect(try await journal.verifyChain() == .intact(entries: 5), "the chain alone cannot tell")
        #expect(
            try await journal.verifyChain(expecting: anchor)
                == .broken(sequence: 10, reason: "the anchored entry is missing: the journal ends at 5, so it was cut short"))

        let forged = JournalHead(sequence: 4, hash: String(repeating: "ab", count: 32))
        #expect(
            try await journal.verifyChain(expecting: forged)
                == .broken(sequence: 4, reason: "its hash differs from the anchor \(forged): the journal was rewritten"))
    }

    @Test func entriesFromBeforeTheKeyStillVerifyAndTheKeyIsNeededFromThenOn() async throws {
        let workspace = try TestWorkspace()
        let before = try SQLiteJournal(path: workspace.journalPath)
        #expect(before.keyedFrom == nil)
        try await before.commit([decisions(["alice", "bob", "carol"])], at: Timestamp(secondsSinceEpoch: 1))

        let keyed = try SQLiteJournal(path: workspace.journalPath, auditKey: "audit-secret")
        #expect(keyed.keyedFrom == 4)
        try await keyed.commit([decisions(["dave", "erin"])], at: Timestamp(secondsSinceEpoch: 2))
        #expect(try await keyed.verifyChain() == .intact(entries: 5))
        let entries = try await keyed.history(of: "tf-model-service")
        let plainHash = { (entry: JournalEntry, key: String?) in
            HashChain.hash(
                previous: entry.previousHash, sequence: entry.sequence, recordedAt: entry.recordedAt.millisecondsSinceEpoch,
                rollout: entry.rollout, run: entry.run, kind: entry.kind.rawValue, body: entry.body,
                key: key.map { SymmetricKey(data: Array($0.utf8)) })
        }
        #expect(entries[2].hash == plainHash(entries[2], nil), "entry 3, from before keys, keeps its SHA-256")
        #expect(entries[3].hash == plainHash(entries[3], "audit-secret"), "entry 4 on is keyed")

        #expect(throws: SQLiteJournal.AuditKeyMissing.self) { _ = try SQLiteJournal(path: workspace.journalPath) }
        let wrongKey = try SQLiteJournal(path: workspace.journalPath, auditKey: "guessed")
        #expect(try await wrongKey.verifyChain() == .broken(sequence: 4, reason: "its content does not match its hash"))
        let raw = try DatabaseQueue(path: workspace.journalPath)
        await #expect(throws: (any Error).self, "where keys begin cannot be moved") {
            try await raw.write { try $0.execute(sql: "UPDATE audit_keying SET keyed_from = 100") }
        }
    }

    @Test func anchorsAreReadAsSequenceColonHash() {
        let hash = String(repeating: "0f", count: 32)
        #expect(JournalHead("42:\(hash)") == JournalHead(sequence: 42, hash: hash))
        #expect(JournalHead("42:\(hash.uppercased())")?.hash == hash)
        for bad in ["42", "42 \(hash)", "0:\(hash)", "x:\(hash)", "42:abc", "42:\(hash)00"] {
            #expect(JournalHead(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct JournalAnchorTests {
    @Test func theHeadIsLoggedAsAnAnchorAndExportedAsAGauge() async throws {
        let workspace = try TestWorkspace()
        let journal = try SQLiteJournal(path: workspace.journalPath, auditKey: "audit-secret")
        let metrics = TestMetrics()
        let box = LoggedLines()
        let logger = Logger(label: "test") { _ in LoggedLines.Handler(box: box) }
        let anchor = JournalAnchor(store: journal, interval: .seconds(3600), metricsFactory: metrics, logger: logger)
        #expect(await anchor.anchorOnce() == nil, "an empty journal has nothing to anchor")

        var unit = JournalUnit()
        unit.entries = (1...3).map { NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .humanAction, body: "{\"n\":\($0)}") }
        try await journal.commit([unit], at: Timestamp(secondsSinceEpoch: 1))
        let head = try #require(await anchor.anchorOnce())
        #expect(head == (try await journal.head()))
        #expect(box.lines.withLock { $0 } == ["audit-anchor 3:\(head.hash)"])
        #expect(try metrics.expectGauge("coalmine_journal_head_sequence").lastValue == 3)
        #expect(try await journal.verifyChain(expecting: JournalHead("3:\(head.hash)")) == .intact(entries: 3))
    }
}
