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

    private let last = Mutex<Check?>(nil)

    public init() {}

    public var lastCheck: Check? { last.withLock { $0 } }

    func record(_ check: Check) {
        last.withLock { $0 = check }
    }
}
