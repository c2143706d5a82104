import Crypto

/// Walks a journal's entries in sequence order and names the first one that breaks the hash chain: what
/// `verifyChain` does on every store.
struct ChainWalk {
    let key: SymmetricKey?
    /// Entries from this sequence on are keyed with `key`; earlier ones carry plain SHA-256.
    let keyedFrom: Int64?
    let anchor: JournalHead?
    private var previous = HashChain.genesis
    private var expectedSequence: Int64 = 1

    init(key: SymmetricKey?, keyedFrom: Int64?, anchor: JournalHead?) {
        self.key = key
        self.keyedFrom = keyedFrom
        self.anchor = anchor
    }

    /// Checks the next entry, its columns as stored (a kind this version does not know still counts in the
    /// chain); returns why the chain breaks there, nil while it holds.
    mutating func step(
        sequence: Int64, recordedAt: Int64, rollout: String, run: Int, kind: String, body: String, link: String,
        stored: String
    ) -> ChainVerification? {
        if sequence != expectedSequence {
            return .broken(sequence: expectedSequence, reason: "entry \(expectedSequence) is missing")
        }
        if link != previous {
            return .broken(sequence: sequence, reason: "it does not link to the entry before it")
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
        let entries = expectedSequence - 1
        if let anchor, anchor.sequence > entries {
            return .broken(
                sequence: anchor.sequence,
                reason: "the anchored entry is missing: the journal ends at \(entries), so it was cut short")
        }
        return .intact(entries: Int(entries))
    }
}
