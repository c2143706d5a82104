import Synchronization

/// A queued unit's promise of durability. Whoever queued the unit waits on it wherever it runs, so a webhook
/// waits for the fsync in its own task rather than on the engine: the writer's answer goes straight to it, not
/// through the engine's queue of jobs first.
final class CommitTicket: Sendable {
    private enum State {
        case pending
        case awaited(CheckedContinuation<Void, any Error>)
        case settled(Result<Void, any Error>)
    }

    private let state = Mutex(State.pending)

    /// For the writer: the unit is durable (`.success`) or will never be.
    func settle(_ result: Result<Void, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            defer { state = .settled(result) }
            if case .awaited(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume(with: result)
    }

    /// Returns once the unit is durable; throws what the writer settled it with otherwise.
    func wait() async throws {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<Void, any Error>? in
                if case .settled(let result) = state { return result }
                state = .awaited(continuation)
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
