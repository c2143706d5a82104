import Synchronization

/// "Something changed": one side signals, the one task that waits here wakes. A signal given while nobody waits is
/// kept for the next wait, so a waiter that reads its work and then waits misses nothing.
public final class WakeSignal: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = state.withLock { state in
            state.signalled = true
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Returns when signalled, after `limit` (if given), or when the task is cancelled.
    public func wait(upTo limit: Duration?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            if let limit { group.addTask { try? await Task.sleep(for: limit) } }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            // Cancelled before the continuation was stored: `Task.isCancelled` above sees it instead.
            state.withLock { $0.waiter.take() }?.resume()
        }
        state.withLock { $0.signalled = false }
    }
}
