import CoalmineCore
import CoalmineJournal
import Synchronization

/// Units computed by the engine and waiting to be written, shared by the engine, which adds each unit as soon as
/// it is computed, and the one writer task that empties it a batch at a time. The writer never waits for the
/// engine between batches, so the journal keeps writing while the engine computes the next deliveries.
final class CommitQueue: Sendable {
    struct Waiting: Sendable {
        var unit: JournalUnit
        /// The states of the rollouts the unit moved, as the unit left them: durable once the unit is.
        var states: [(name: String, state: RolloutState)]
        var ticket: CommitTicket
        /// Whether the unit changes weights (a rollback, most often): the writer puts off housekeeping for it.
        var isUrgent: Bool
    }

    private struct State {
        var waiting: [Waiting] = []
        var isWriting = false
        var batchBeingWritten = 0
    }

    private let state = Mutex(State())

    /// Adds a unit; true when no writer runs, and the caller must start one.
    func add(_ waiting: Waiting) -> Bool {
        state.withLock { state in
            state.waiting.append(waiting)
            guard !state.isWriting else { return false }
            state.isWriting = true
            return true
        }
    }

    /// For the writer: every unit waiting, or nil (and the writer stops) when none is.
    func nextBatch() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.isWriting = false
                state.batchBeingWritten = 0
                return nil
            }
            defer { state.waiting = [] }
            state.batchBeingWritten = state.waiting.count
            return state.waiting
        }
    }

    /// After a failed write: the units computed on top of it, which must fail too. The writer keeps running.
    func takeWaiting() -> [Waiting] {
        state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
    }

    /// Whether a unit that changes weights waits.
    var urgentIsWaiting: Bool {
        state.withLock { $0.waiting.contains(where: \.isUrgent) }
    }

    /// Units waiting, and units in the batch being written.
    var counts: (waiting: Int, beingWritten: Int) {
        state.withLock { ($0.waiting.count, $0.batchBeingWritten) }
    }
}
