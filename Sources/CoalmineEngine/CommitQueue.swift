import CoalmineCore
import CoalmineJournal
import Synchronization

/// Units computed by the engine and waiting to be written, shared by the engine, which adds each unit as soon as
/// it is computed, and the one writer task that empties it a batch at a time. The writer never waits for the
/// engine between batches, so the journal keeps writing while the engine computes the next deliveries.
///
/// A rollback must not wait behind a storm: a unit that changes weights is written ahead of the units queued
/// before it, alone, as long as none of those touches one of its rollouts (each unit is computed on top of the
/// ones before it, so only work on other rollouts may be overtaken). And a batch holds at most `rowsPerBatch`
/// rows, or an eighth of a larger backlog, so the batch being written when a rollback arrives is short.
final class CommitQueue: Sendable {
    struct Waiting: Sendable {
        var unit: JournalUnit
        /// The states of the rollouts the unit moved, as the unit left them: durable once the unit is.
        var states: [(name: String, state: RolloutState)]
        var ticket: CommitTicket
        /// Whether the unit changes weights (a rollback, most often): it goes first, and the writer puts off
        /// housekeeping for it.
        var isUrgent: Bool
    }

    /// A burst of 64 deliveries of 10 alerts is about 2,000 rows, which took 15 ms to write: a rollback arriving
    /// just after it started waited that long. A third of it keeps the wait short at the cost of a few more fsyncs.
    static let rowsPerBatch = 700

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

    /// For the writer: the next batch, or nil (and the writer stops) when nothing waits. The urgent units that may
    /// go first if any waits, else the units in order up to `rowsPerBatch` rows (at least one unit).
    func nextBatch() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.isWriting = false
                state.batchBeingWritten = 0
                return nil
            }
            var batch = Self.urgentAhead(of: &state.waiting)
            if batch.isEmpty {
                // A backlog (every rollout's step settling at once) is written in a few large batches: an fsync per
                // 700 rows would put the next deadlines hundreds of milliseconds late.
                let limit = max(Self.rowsPerBatch, state.waiting.reduce(0) { $0 + $1.unit.rowCount } / 8)
                var rows = 0
                let count = state.waiting.prefix { waiting in
                    defer { rows += waiting.unit.rowCount }
                    return rows == 0 || rows + waiting.unit.rowCount <= limit
                }.count
                batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
            }
            state.batchBeingWritten = batch.count
            return batch
        }
    }

    /// Takes out the urgent units that touch no rollout of a unit queued before them.
    private static func urgentAhead(of waiting: inout [Waiting]) -> [Waiting] {
        guard waiting.contains(where: \.isUrgent) else { return [] }
        var overtaken = Set<String>()
        var ahead: [Waiting] = []
        var rest: [Waiting] = []
        for item in waiting {
            let rollouts = item.unit.rollouts
            if item.isUrgent, overtaken.isDisjoint(with: rollouts) {
                ahead.append(item)
            } else {
                overtaken.formUnion(rollouts)
                rest.append(item)
            }
        }
        waiting = rest
        return ahead
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
