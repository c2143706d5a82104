import Synchronization

/// Whether the journal took the last commit: what `/readyz` reports, read without waiting for the engine.
public final class JournalHealth: Sendable {
    private let failure = Mutex<String?>(nil)

    /// Why the last commit failed; nil once one succeeds.
    public var commitFailure: String? { failure.withLock { $0 } }

    func record(failure reason: String?) {
        failure.withLock { $0 = reason }
    }
}
