import CoalmineCore
import HeapModule

/// Every rollout's next deadline in a heap, so time passing costs a look at the earliest one, not at every rollout.
/// A rollout whose deadline moves is pushed again; the entry it left behind is dropped when it surfaces.
struct DeadlineSchedule {
    private struct Entry: Comparable {
        var at: Timestamp
        var rollout: String

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.at, lhs.rollout) < (rhs.at, rhs.rollout)
        }
    }

    private var heap = Heap<Entry>()
    /// The deadline each rollout is scheduled for now; entries that disagree are stale.
    private var current: [String: Timestamp] = [:]

    init(_ states: [String: RolloutState]) {
        for (rollout, state) in states { schedule(state.nextDeadline, of: rollout) }
    }

    /// Records the rollout's deadline now. Returns whether it is earlier than every other, so a sleeping ticker
    /// must wake.
    @discardableResult
    mutating func schedule(_ deadline: Timestamp?, of rollout: String) -> Bool {
        guard current[rollout] != deadline else { return false }
        current[rollout] = deadline
        guard let deadline else { return false }
        let earliest = next
        heap.insert(Entry(at: deadline, rollout: rollout))
        return earliest.map { deadline < $0 } ?? true
    }

    /// The rollouts whose deadline is at or before `now`, each once; they are no longer scheduled.
    mutating func takeDue(at now: Timestamp) -> [String] {
        var due: [String] = []
        while let top = heap.min, top.at <= now {
            heap.removeMin()
            if current[top.rollout] == top.at {
                current[top.rollout] = nil
                due.append(top.rollout)
            }
        }
        return due
    }

    /// The earliest deadline still scheduled.
    var next: Timestamp? {
        mutating get {
            while let top = heap.min, current[top.rollout] != top.at { heap.removeMin() }
            return heap.min?.at
        }
    }
}
