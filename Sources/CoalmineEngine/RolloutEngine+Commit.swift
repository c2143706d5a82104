import CoalmineCore
import CoalmineJournal

extension RolloutEngine {
    /// Makes `unit` durable and returns; throws `EngineError.journalUnavailable` if it could not be.
    ///
    /// Group commit: the first caller writes its unit and then, while it is still here, every unit that queued
    /// up during the write, as one transaction each round. So N concurrent webhooks cost about two fsyncs,
    /// not N.
    ///
    /// A unit is computed against the working state, which includes units not yet durable. If a write fails,
    /// every unit queued behind it was computed on top of it, so they all fail too, and the working state falls
    /// back to the last durable one. Nothing is half-applied and each caller learns it must retry.
    func commit(_ unit: JournalUnit) async throws {
        guard !unit.isEmpty else { return }
        if isCommitting {
            try await withCheckedThrowingContinuation { queuedUnits.append((unit, $0)) }
            return
        }
        isCommitting = true
        defer { isCommitting = false }

        var batch = [unit]
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var isOwnBatch = true
        while true {
            // Taken before the write: exactly the states the units of this batch produce.
            let memoryAfterBatch = memory
            let created: [OutboxItem]
            do {
                created = try await store.commit(batch, at: clock())
            } catch {
                journalHealth.record(failure: "\(error)")
                let failure = EngineError.journalUnavailable("\(error)")
                logger.error("journal commit failed; answering 503 so senders retry", metadata: ["error": "\(error)"])
                memory = durableMemory
                // Deadlines of the states just taken back are scheduled again; those of the durable ones return.
                deadlines = DeadlineSchedule(memory.states)
                for waiter in waiters { waiter.resume(throwing: failure) }
                for queued in queuedUnits { queued.continuation.resume(throwing: failure) }
                queuedUnits = []
                if isOwnBatch { throw failure }
                return
            }
            // Only rollouts with a transition in the batch can have moved: no look at every rollout per commit.
            let touched = Set(batch.flatMap { $0.entries.filter { $0.kind == .transition }.map(\.rollout) })
            let moved = touched.filter { durableMemory.states[$0]?.version != memoryAfterBatch.states[$0]?.version }.count
            durableMemory = memoryAfterBatch
            journalHealth.record(failure: nil)
            effectLanes.add(created)
            countTransitions(moved)
            for waiter in waiters { waiter.resume() }

            guard !queuedUnits.isEmpty else { return }
            batch = queuedUnits.map(\.unit)
            waiters = queuedUnits.map(\.continuation)
            queuedUnits = []
            isOwnBatch = false
        }
    }
}
