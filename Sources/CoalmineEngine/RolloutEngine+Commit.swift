import CoalmineCore
import CoalmineJournal
import Synchronization

extension RolloutEngine {
    /// Makes `unit` durable and returns; throws `EngineError.journalUnavailable` if it could not be.
    ///
    /// Group commit: units queue in `commits`, and one writer task writes everything queued as one transaction,
    /// then everything that queued meanwhile, and so on. So N concurrent webhooks cost about two fsyncs, not N,
    /// and the writer goes from one batch to the next without waiting for the engine.
    ///
    /// A unit is computed against the working state, which includes units not yet durable. If a write fails,
    /// every unit queued behind it was computed on top of it, so they all fail too, and the working state falls
    /// back to the last durable one. Nothing is half-applied and each caller learns it must retry.
    func commit(_ unit: JournalUnit) async throws {
        guard !unit.isEmpty else { return }
        // Every change to a rollout's state journals an entry of it (a transition, or the alerts that changed
        // its firing set), so the rollouts with entries are the only ones the unit can have changed.
        var touched: [String] = []
        for entry in unit.entries where touched.last != entry.rollout && !touched.contains(entry.rollout) {
            touched.append(entry.rollout)
        }
        let states = touched.compactMap { name in memory.states[name].map { (name: name, state: $0) } }
        try await withCheckedThrowingContinuation { continuation in
            if commits.add(CommitQueue.Waiting(unit: unit, states: states, continuation: continuation)) {
                // Every delivery and every rollback waits for the writer: it runs ahead of the work that feeds it.
                Task(priority: .high) { await self.writeQueuedUnits() }
            }
        }
    }

    /// The writer: runs while units wait, off the engine, so the engine computes while the journal writes.
    nonisolated func writeQueuedUnits() async {
        while let batch = commits.nextBatch() {
            let created: [OutboxItem]
            do {
                created = try await store.commit(batch.map(\.unit), at: clock())
            } catch {
                journalHealth.record(failure: "\(error)")
                logger.error("journal commit failed; answering 503 so senders retry", metadata: ["error": "\(error)"])
                await fail(batch, because: EngineError.journalUnavailable("\(error)"))
                continue
            }
            let moved = durableStates.withLock { durable in
                var moved = 0
                for (name, state) in batch.flatMap(\.states) {
                    if durable[name]?.version != state.version { moved += 1 }
                    durable[name] = state
                }
                return moved
            }
            journalHealth.record(failure: nil)
            effectLanes.add(created)
            metrics.countTransitions(moved)
            for waiting in batch { waiting.continuation.resume() }
            await store.afterCommits()
        }
    }

    /// After a failed write, on the engine so no new unit is computed meanwhile: the batch and every unit queued
    /// behind it fail, and what they did in memory is undone.
    private func fail(_ batch: [CommitQueue.Waiting], because failure: EngineError) {
        let failed = batch + commits.takeWaiting()
        takeBack(failed.map(\.unit))
        for waiting in failed { waiting.continuation.resume(throwing: failure) }
    }

    /// Undoes in memory what units that failed to commit did: their rollouts go back to their durable states,
    /// their deliveries and link uses are forgotten (a retry must count them again) and deliveries they forgot
    /// are remembered again.
    private func takeBack(_ units: [JournalUnit]) {
        let now = clock()
        let durable = durableStates.withLock { $0 }
        for unit in units {
            for entry in unit.entries { memory.states[entry.rollout] = durable[entry.rollout] }
            for key in unit.deliveries { memory.deliveries[key] = nil }
            for key in unit.forgottenDeliveries { memory.deliveries[key] = now }
            for use in unit.linkUses { memory.linkUses[use.nonce] = nil }
        }
        // Deadlines of the states just taken back are scheduled again; those of the durable ones return.
        deadlines = DeadlineSchedule(memory.states)
    }
}
