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
    /// every unit queued behind it was computed on top of it, so they all fail too, and the working state is
    /// loaded from the journal again, as at a start. Nothing is half-applied and each caller learns it must retry.
    func commit(_ unit: JournalUnit) async throws {
        try await enqueue(unit)?.wait()
    }

    /// Queues `unit` for the writer and returns what to wait on for its durability (nil for an empty unit), so a
    /// caller can wait off the engine; see `commit`.
    func enqueue(_ unit: JournalUnit) throws -> CommitTicket? {
        // Computed on a working state that is about to be replaced by the journal's: never written. An empty unit
        // too: "nothing to change" may only say that a refused unit changed it first, and answering that as taken
        // would lose a delivery the reload then forgets.
        guard !isRecovering else { throw EngineError.journalUnavailable("a commit failed; reloading from the journal") }
        guard !unit.isEmpty else { return nil }
        var unit = unit
        rememberEndedFirings(in: &unit)
        // Every change to a rollout's state journals an entry of it (a transition, or the alerts that changed
        // its firing set), so the rollouts with entries are the only ones the unit can have changed.
        var touched = Set<String>()
        let states = unit.entries.compactMap { entry -> (name: String, state: RolloutState)? in
            guard touched.insert(entry.rollout).inserted, let state = memory.states[entry.rollout] else { return nil }
            return (entry.rollout, state.withoutFiringAlerts)
        }
        let ticket = CommitTicket()
        for (name, _) in states { lastChange[name] = ticket }
        let isUrgent = unit.effects.contains { if case .router = $0.lane { true } else { false } }
        if commits.add(CommitQueue.Waiting(unit: unit, states: states, ticket: ticket, isUrgent: isUrgent)) {
            // Every delivery and every rollback waits for the writer: it runs ahead of the work that feeds it.
            Task(priority: .high) { await self.writeQueuedUnits() }
        }
        return ticket
    }

    /// The writer: runs while units wait, off the engine, so the engine computes while the journal writes.
    nonisolated func writeQueuedUnits() async {
        while let batch = commits.nextBatch() {
            let created: [OutboxItem]
            do {
                created = try await store.commit(batch.map(\.unit), at: clock())
            } catch {
                if Self.isNotLeader(error) {
                    // The journal is fine; this replica just may not write to it (another leads). `/readyz` stays
                    // 200: a follower serves by forwarding.
                    logger.warning("commit refused: this replica no longer leads; answering 503 so senders retry")
                } else {
                    journalHealth.record(failure: "\(error)")
                    logger.error("journal commit failed; answering 503 so senders retry", metadata: ["error": "\(error)"])
                }
                await recover(failing: batch, because: EngineError.journalUnavailable("\(error)"), wasWritten: !Self.isNotLeader(error))
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
            if changes.isWatched { changes.publish(Set(batch.flatMap { $0.unit.rollouts })) }
            metrics.countTransitions(moved)
            for waiting in batch { waiting.ticket.settle(.success(())) }
            // A weight change waiting is written first; the log is copied back after the next batch instead.
            if !commits.urgentIsWaiting { await store.afterCommits() }
        }
    }

    /// A firing alert stands for the delivery that started it: a start remembers the firing of every alert still
    /// firing from the rollouts' state, so a storm of new alerts writes no delivery rows beside their firing-alert
    /// rows. The delivery is written when its alert stops firing, unless the unit remembers the alert's resolution
    /// (which recognises a late firing of the episode by itself) or forgets the firing (a human cleared it).
    private func rememberEndedFirings(in unit: inout JournalUnit) {
        var ended: [AlertDeliveryKey: Timestamp] = [:]
        for change in unit.firingChanges {
            let alert: FiringAlert
            switch change {
            case .ends(_, let endedAlert): alert = endedAlert
            case .fires(_, let new, let replaced) where new.startsAt != replaced.startsAt: alert = replaced
            case .starts, .fires: continue
            }
            let key = AlertDeliveryKey(fingerprint: alert.fingerprint, startsAt: alert.startsAt, status: .firing)
            ended[key] = memory.deliveries[key] ?? alert.receivedAt
        }
        guard !ended.isEmpty else { return }
        for delivery in unit.deliveries where delivery.key.status == .resolved {
            ended[delivery.key.with(status: .firing)] = nil
        }
        for delivery in unit.forgottenDeliveries { ended[delivery.key] = nil }
        unit.deliveries += ended.map { RememberedDelivery($0.key, seenAt: $0.value) }.sorted { $0.seenAt < $1.seenAt }
    }

    static func isNotLeader(_ error: any Error) -> Bool {
        error is NotLeader || (error as? PostgresStoreError)?.isNotLeader == true
    }

    /// After a failed write: the batch and every unit queued behind it fail, and the working state, which they
    /// changed, is loaded from the journal again. Until it is, no unit is committed (callers get 503 and retry),
    /// so nothing computed on the abandoned state is ever written. The failed callers hear back once the state is
    /// restored, so their retry counts again.
    /// `wasWritten`: whether the failed write may have been taken all the same (an answer lost after COMMIT); then
    /// the effects it created are in the outbox but in no lane, and are taken up from the outbox.
    private func recover(failing batch: [CommitQueue.Waiting], because failure: EngineError, wasWritten: Bool) async {
        isRecovering = true
        let failed = batch + commits.takeWaiting()
        var attempts = 0
        while true {
            do {
                let loaded = try await Self.load(store, config, now: clock())
                if wasWritten { effectLanes.addMissing(try await store.pendingEffects()) }
                // Delivery keys the failed units added are not in the journal; those they forgot are again.
                memory = loaded
                lastChange = [:]
                // What readers see follows the journal too: the failed write may have been taken after all.
                durableStates.withLock { $0 = loaded.states.mapValues(\.withoutFiringAlerts) }
                deadlines = DeadlineSchedule(memory.states)
                break
            } catch {
                attempts += 1
                logger.error("cannot read the journal to recover from a failed commit", metadata: ["error": "\(error)"])
                if attempts == 1 { for waiting in failed { waiting.ticket.settle(.failure(failure)) } }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        isRecovering = false
        if attempts == 0 { for waiting in failed { waiting.ticket.settle(.failure(failure)) } }
    }
}
