import CoalmineEngine
import Synchronization

/// The rollouts that changed since an event stream last wrote, as a set: a name changed twice is sent once.
final class ChangedRollouts: Sendable {
    private let state = Mutex<(names: Set<String>, ended: Bool)>(([], false))
    private let arrived = WakeSignal()

    func add(_ name: String) {
        state.withLock { _ = $0.names.insert(name) }
        arrived.signal()
    }

    func end() {
        state.withLock { $0.ended = true }
        arrived.signal()
    }

    /// The names gathered so far, waiting up to `limit` for one (empty when none came); nil once ended.
    func next(orAfter limit: Duration) async -> Set<String>? {
        if let ready = take(), !ready.isEmpty { return ready }
        await arrived.wait(upTo: limit)
        return take()
    }

    private func take() -> Set<String>? {
        state.withLock { state in
            guard !state.ended else { return nil }
            defer { state.names = [] }
            return state.names
        }
    }
}
