import CoalmineCore
import CoalmineJournal
import Synchronization

/// The journal's hash chain as last walked (by `JournalAnchor`, every `store.audit.anchorEvery`): what the dashboard
/// shows beside the entries without walking a long journal on every page view.
public final class ChainStatus: Sendable {
    public struct Check: Equatable, Sendable {
        public var at: Timestamp
        public var verdict: ChainVerification
    }

    private let last = Mutex<(check: Check, head: JournalHead?)?>(nil)

    public init() {}

    public var lastCheck: Check? { last.withLock { $0?.check } }

    /// Where the last walk ended intact: the next walk resumes there. Nil after a broken walk, so the next one
    /// walks everything again.
    var intactHead: JournalHead? { last.withLock { $0?.head } }

    func record(_ check: Check, head: JournalHead?) {
        last.withLock { $0 = (check, head) }
    }
}
