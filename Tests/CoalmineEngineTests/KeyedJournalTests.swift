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
    private func rewriteAndRechain(_ scratch: ScratchStore, _ journal: any JournalStore, from sequence: Int64) async throws {
        let entries = try await journal.history(of: "tf-model-service")
        try await scratch.dropAppendOnlyGuards()
        var previous = sequence > 1 ? entries[Int(sequence) - 2].hash : HashChain.genesis
        for entry in entries where entry.sequence >= sequence {
            let body = entry.sequence == sequence ? "{\"actor\":\"mallory\"}" : entry.body
            let hash = HashChain.hash(
                previous: previous, sequence: entry.sequence, recordedAt: entry.recordedAt.millisecondsSinceEpoch,
                rollout: entry.rollout, run: entry.run, kind: entry.kind.rawValue, body: body)
            try await scratch.tamper(
                "UPDATE journal SET body = '\(body)', previous_hash = '\(previous)', hash = '\(hash)' WHERE sequence = \(entry.sequence)")
            previous = hash
        }
    }

    @Test(arguments: StoreKind.available)
    func aRewriteRechainedWithoutTheKeyIsFoundWhereAnUnkeyedChainWouldPass(kind: StoreKind) async throws {
        try await ScratchStore.with(kind) { keyed in
            let journal = try await keyed.open(auditKey: "audit-secret")
            try await journal.commit([decisions(["alice", "bob", "carol", "dave", "erin"])], at: Timestamp(secondsSinceEpoch: 1))
            try await rewriteAndRechain(keyed, journal, from: 3)
            #expect(try await journal.verifyChain() == .broken(sequence: 3, reason: "its content does not match its hash"))
        }
        // Without a key the same rewrite passes: why the key matters.
        try await ScratchStore.with(kind) { plain in
            let unkeyed = try await plain.open()
            try await unkeyed.commit([decisions(["alice", "bob", "carol", "dave", "erin"])], at: Timestamp(secondsSinceEpoch: 1))
            try await rewriteAndRechain(plain, unkeyed, from: 3)
            #expect(try await unkeyed.verifyChain() == .intact(entries: 5))
            #expect(try await unkeyed.history(of: "tf-model-service")[2].body == "{\"actor\":\"mallory\"}", "the rewrite happened")
        }
    }

    @Test(arguments: StoreKind.available) func aJournalCutShortSinceAnAnchorIsFoundOnlyAgainstTheAnchor(kind: StoreKind) async throws {
        try await ScratchStore.with(kind) { scratch in
            let journal = try await scratch.open(auditKey: "audit-secret")
            try await journal.commit([decisions((1...10).map { "person-\($0)" })], at: Timestamp(secondsSinceEpoch: 1))
            let anchor = try #require(try await journal.head())
            #expect(anchor.sequence == 10)
            #expect(try await journal.verifyChain(expecting: anchor) == .intact(entries: 10))
            let earlier = JournalHead(sequence: 4, hash: try #require(try await journal.history(of: "tf-model-service")[3].hash))
            #expect(try await journal.verifyChain(expecting: earlier) == .intact(entries: 10))

            try await scratch.dropAppendOnlyGuards()
            try await scratch.tamper("DELETE FROM journal WHERE sequence > 5")
            #expect(try await journal.verifyChain() == .intact(entries: 5), "the chain alone cannot tell")
            #expect(
                try await journal.verifyChain(expecting: anchor)
                    == .broken(sequence: 10, reason: "the anchored entry is missing: the journal ends at 5, so it was cut short"))

            let forged = JournalHead(sequence: 4, hash: String(repeating: "ab", count: 32))
            #expect(
                try await journal.verifyChain(expecting: forged)
                    == .broken(sequence: 4, reason: "its hash differs from the anchor \(forged): the journal was rewritten"))
        }
    }

    @Test(arguments: StoreKind.available) func entriesFromBeforeTheKeyStillVerifyAndTheKeyIsNeededFromThenOn(kind: StoreKind) async throws {
        try await ScratchStore.with(kind) { scratch in
            let before = try await scratch.open()
            #expect(before.keyedFrom == nil)
            try await before.commit([decisions(["alice", "bob", "carol"])], at: Timestamp(secondsSinceEpoch: 1))

            let keyed = try await scratch.open(auditKey: "audit-secret")
            #expect(keyed.keyedFrom == 4)
            try await keyed.commit([decisions(["dave", "erin"])], at: Timestamp(secondsSinceEpoch: 2))
            #expect(try await keyed.verifyChain() == .intact(entries: 5))
            let entries = try await keyed.history(of: "tf-model-service")
            let plainHash = { (entry: JournalEntry, key: String?) in
                HashChain.hash(
                    previous: entry.previousHash, sequence: entry.sequence, recordedAt: entry.recordedAt.millisecondsSinceEpoch,
                    rollout: entry.rollout, run: entry.run, kind: entry.kind.rawValue, body: entry.body,
                    key: key.map(ChainKey.init))
            }
            #expect(entries[2].hash == plainHash(entries[2], nil), "entry 3, from before keys, keeps its SHA-256")
            #expect(entries[3].hash == plainHash(entries[3], "audit-secret"), "entry 4 on is keyed")

            await #expect(throws: AuditKeyMissing.self) { _ = try await scratch.open() }
            let differs = await #expect(throws: SharedKeyDiffers.self, "the journal knows its key's id") {
                _ = try await scratch.open(auditKey: "guessed")
            }
            #expect(differs?.key == .audit)
            // Without the id on record (as an owner could remove it), the chain itself still tells.
            switch kind {
            case .sqlite: try await scratch.tamper("DROP TRIGGER shared_key_no_delete")
            case .postgres: try await scratch.tamper("DROP TRIGGER shared_key_no_delete ON shared_key")
            }
            try await scratch.tamper("DELETE FROM shared_key")
            let wrongKey = try await scratch.open(auditKey: "guessed")
            #expect(try await wrongKey.verifyChain() == .broken(sequence: 4, reason: "its content does not match its hash"))
            await #expect(throws: (any Error).self, "where keys begin cannot be moved") {
                try await scratch.tamper("UPDATE audit_keying SET keyed_from = 100")
            }
            try await scratch.tamper("DELETE FROM shared_key")
            #expect(try await scratch.open(auditKey: "audit-secret").keyedFrom == 4)
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

    @Test func theChainIsWalkedWholeFirstThenFromWhereTheLastIntactWalkEnded() async throws {
        try await ScratchStore.with(.sqlite) { scratch in
            let journal = try await scratch.open()
            let status = ChainStatus()
            let anchor = JournalAnchor(store: journal, interval: .seconds(3600), chainStatus: status)
            func entries(_ range: ClosedRange<Int>) -> JournalUnit {
                var unit = JournalUnit()
                unit.entries = range.map { NewJournalEntry(rollout: "tf-model-service", run: 1, kind: .humanAction, body: "{\"n\":\($0)}") }
                return unit
            }
            try await journal.commit([entries(1...3)], at: Timestamp(secondsSinceEpoch: 1))
            await anchor.checkChain()
            #expect(status.lastCheck?.verdict == .intact(entries: 3))
            #expect(status.intactHead?.sequence == 3)
            try await journal.commit([entries(4...5)], at: Timestamp(secondsSinceEpoch: 2))
            await anchor.checkChain()
            #expect(status.lastCheck?.verdict == .intact(entries: 5))
            #expect(status.intactHead?.sequence == 5, "the next walk starts here")

            try await scratch.dropAppendOnlyGuards()
            try await scratch.tamper(#"UPDATE journal SET body = '{"n":0}' WHERE sequence = 2"#)
            try await journal.commit([entries(6...6)], at: Timestamp(secondsSinceEpoch: 3))
            try await scratch.tamper(#"UPDATE journal SET body = '{"n":0}' WHERE sequence = 6"#)
            await anchor.checkChain()
            #expect(status.lastCheck?.verdict == .broken(sequence: 6, reason: "its content does not match its hash"))
            #expect(status.intactHead == nil)
            // After a break the next walk is whole again, and finds the earliest damage.
            await anchor.checkChain()
            #expect(status.lastCheck?.verdict == .broken(sequence: 2, reason: "its content does not match its hash"))
        }
    }
}
