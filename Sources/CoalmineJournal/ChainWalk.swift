/// Walks a journal's entries in sequence order and names the first one that breaks the hash chain: what
/// `verifyChain` does on every store.
struct ChainWalk {
    let key: ChainKey?
    /// Entries from this sequence on are keyed with `key`; earlier ones carry plain SHA-256.
    let keyedFrom: Int64?
    let anchor: JournalHead?
    /// Where an earlier walk ended intact: this walk starts there, and that entry must be as it was.
    let resumedFrom: JournalHead?
    /// The hash the next entry must link to; nil for the first entry of a resumed walk, checked against
    /// `resumedFrom` instead.
    private var previous: String?
    private var expectedSequence: Int64

    init(key: ChainKey?, keyedFrom: Int64?, anchor: JournalHead?, resumingAt known: JournalHead? = nil) {
        self.key = key
        self.keyedFrom = keyedFrom
        self.anchor = anchor
        resumedFrom = known
        previous = known == nil ? HashChain.genesis : nil
        expectedSequence = known?.sequence ?? 1
    }

    /// The first sequence a walk must read.
    var firstSequence: Int64 { resumedFrom?.sequence ?? 1 }

    /// Checks the next entry, its columns as stored (a kind this version does not know still counts in the
    /// chain); returns why the chain breaks there, nil while it holds.
    mutating func step(
        sequence: Int64, recordedAt: Int64, rollout: String, run: Int, kind: String, body: String, link: String,
        stored: String
    ) -> ChainVerification? {
        if sequence != expectedSequence {
            return .broken(sequence: expectedSequence, reason: "entry \(expectedSequence) is missing")
        }
        if let previous, link != previous {
            return .broken(sequence: sequence, reason: "it does not link to the entry before it")
        }
        if let resumedFrom, resumedFrom.sequence == sequence, resumedFrom.hash != stored {
            return .broken(sequence: sequence, reason: "its hash differs from the last walk: the journal was rewritten")
        }
        let keyed = keyedFrom.map { sequence >= $0 } ?? false
        let computed = HashChain.hash(
            previous: link, sequence: sequence, recordedAt: recordedAt, rollout: rollout, run: run, kind: kind,
            body: body, key: keyed ? key : nil)
        if computed != stored {
            return .broken(sequence: sequence, reason: "its content does not match its hash")
        }
        if let anchor, anchor.sequence == sequence, anchor.hash != stored {
            return .broken(sequence: sequence, reason: "its hash differs from the anchor \(anchor): the journal was rewritten")
        }
        previous = stored
        expectedSequence += 1
        return nil
    }

    /// The verdict once every entry has been stepped through.
    func finish() -> ChainVerification {
        if let resumedFrom, expectedSequence == resumedFrom.sequence {
            return .broken(
                sequence: resumedFrom.sequence,
                reason: "entry \(resumedFrom.sequence) is missing: the journal was cut short since the last walk")
        }
        let entries = expectedSequence - 1
        if let anchor, anchor.sequence > entries {
            return .broken(
                sequence: anchor.sequence,
                reason: "the anchored entry is missing: the journal ends at \(entries), so it was cut short")
        }
        return .intact(entries: Int(entries))
    }
}
