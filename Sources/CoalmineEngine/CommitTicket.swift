import Synchronization

/// A queued unit's promise of durability. Whoever queued the unit waits on it wherever it runs, so a webhook
/// waits for the fsync in its own task rather than on the engine: the writer's answer goes straight to it, not
/// through the engine's queue of jobs first. A reader showing what the unit changed waits on it too.
final class CommitTicket: Sendable {
    private enum State {
        case pending
        /// The caller that queued the unit, and readers waiting to show what it changed.
        case awaited([CheckedContinuation<Void, any Error>])
        case settled(Result<Void, any Error>)
    }

    private let state = Mutex(State.pending)

    /// For the writer: the unit is durable (`.success`) or will never be.
    func settle(_ result: Result<Void, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            defer { state = .settled(result) }
            if case .awaited(let continuations) = state { return continuations }
            return []
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// Returns once the unit is durable; throws what the writer settled it with otherwise.
    func wait() async throws {
        // Most tickets a reader looks at are long settled: no continuation for those.
        if let settled = state.withLock({ state -> Result<Void, any Error>? in
            if case .settled(let result) = state { return result }
            return nil
        }) {
            return try settled.get()
        }
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<Void, any Error>? in
                switch state {
                case .settled(let result): return result
                case .pending: state = .awaited([continuation])
                case .awaited(let others): state = .awaited(others + [continuation])
                }
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
