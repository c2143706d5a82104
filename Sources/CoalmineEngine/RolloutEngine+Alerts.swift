import CoalmineCore
import CoalmineJournal

extension RolloutEngine {
    /// Takes the alerts of one webhook delivery. Returns once their effect is durable.
    ///
    /// What needs only the config (which rollouts an alert belongs to, what is kept of it, its journal body) is
    /// worked out here, in the caller's task, so concurrent deliveries do it side by side; the engine then does
    /// only what needs its state, one delivery at a time.
    public nonisolated func receive(_ alerts: [AlertObservation], source: String) async throws -> AlertIntake {
        let classified = alerts.map { ClassifiedAlert($0, source: source, classifier: classifier, limits: config.limits) }
        for alert in classified where alert.matches.isEmpty { metrics.countUnmatchedAlert() }
        // An alert that can roll a rollout back or page a human goes ahead of a storm of gate alerts waiting for
        // the engine: its task runs at high priority, which the engine's queue of jobs honours.
        let urgent = classified.contains { $0.matches.contains { $0.role == .abort || $0.role == .breaker } }
        guard urgent else {
            let (intake, durable) = try await take(classified, received: alerts.count)
            try await durable?.wait()
            return intake
        }
        return try await Task(priority: .high) {
            let (intake, durable) = try await self.take(classified, received: alerts.count)
            try await durable?.wait()
            return intake
        }.value
    }

    /// Applies a delivery and queues its unit; the caller waits for the unit off the engine.
    private func take(_ alerts: [ClassifiedAlert], received: Int) throws -> (AlertIntake, CommitTicket?) {
        let now = clock()
        var unit = JournalUnit()
        var intake = AlertIntake(received: received, matched: 0, transitions: 0)
        var delivered: [String: OpenRollout.Change] = [:]
        var open: OpenRollout?
        /// Puts the open rollout's state back, with its next deadline, and keeps what the delivery did to it.
        func close() {
            guard let closing = open else { return }
            open = nil
            settle(closing.state!, of: closing.spec.name)
            delivered[closing.spec.name] = closing.change
        }
        for classified in alerts where !classified.matches.isEmpty {
            let alert = classified.alert
            let matches = classified.matches
            intake.matched += 1
            let key = alert.deliveryKey
            // A firing re-sent after its resolution (a late HA peer, a retried group) must not re-open it.
            let taken = memory.deliveries.take(key, at: now)
            guard taken != .afterItsResolution else { continue }
            let isNew = taken == .new
            // A new firing is last seen when it is received, which its firing alert holds: only repeats move it.
            if !isNew || alert.status == .resolved {
                for match in matches { noteSeen(alert, of: match.rollout, at: now) }
            }
            guard isNew else { continue }
            // A firing that starts a firing alert is remembered by that alert (see `rememberEndedFirings`).
            var startsFiring = false
            let kept = classified.kept
            for (match, body) in zip(matches, classified.bodies) {
                if open?.spec.name != match.rollout {
                    close()
                    guard let spec = config.rollout(named: match.rollout),
                        let state = memory.states.removeValue(forKey: match.rollout)
                    else { continue }
                    open = OpenRollout(
                        spec: spec, machine: machines[spec.name]!, state: state,
                        change: delivered[spec.name] ?? OpenRollout.Change(before: state.withoutFiringAlerts, actor: "alert:\(kept.name)"))
                }
                let name = match.rollout
                let state = open!.state.take()!
                let entryIndex = unit.entries.count
                unit.entries.append(NewJournalEntry(rollout: name, run: state.run, kind: .alertReceived, body: body))
                let firingBefore = state.firingAlerts[fingerprint: kept.fingerprint]
                let versionBefore = state.version
                let outcome = open!.machine.handle(.alert(kept, role: match.role), in: consume state, at: now)
                if outcome.state.version != versionBefore { open!.change.actor = outcome.actor }
                // An alert event changes the firing alert of its own fingerprint and no other.
                let firingAfter = outcome.state.firingAlerts[fingerprint: kept.fingerprint]
                switch (firingBefore, firingAfter) {
                case (nil, let started?):
                    // The store keeps a reference to the entry rather than a copy, if the entry holds all of it.
                    let fromEntry = started == FiringAlert(observation: kept, role: match.role, receivedAt: now)
                    open!.change.firingChanges.append(.starts(rollout: name, started, receivedIn: fromEntry ? entryIndex : nil))
                    startsFiring = true
                case (let before?, let after?) where after != before:
                    open!.change.firingChanges.append(.fires(rollout: name, after, replacing: before))
                    startsFiring = startsFiring || after.startsAt != before.startsAt
                case (let ended?, nil): open!.change.firingChanges.append(.ends(rollout: name, ended))
                default: break
                }
                queueEffects(of: outcome, of: open!.spec, into: &unit)
                open!.state = outcome.state
            }
            if !startsFiring { unit.deliveries.append(RememberedDelivery(key, seenAt: now)) }
        }
        close()
        // At most one transition per rollout for the whole delivery, however many of its alerts changed the state,
        // and none when only its firing alerts changed: their `alert-received` entries record that change, the
        // firing-alert table holds the exact set, and a storm into a paused rollout must not rewrite its state
        // for every delivery.
        for (name, change) in delivered.sorted(by: { $0.key < $1.key }) {
            unit.firingChanges += change.firingChanges
            let after = memory.states[name]!
            guard after.withoutFiringAlerts != change.before else { continue }
            journalTransition(from: change.before, to: after, actor: change.actor, of: name, firingChanges: [], into: &unit)
            if after.version != change.before.version { intake.transitions += 1 }
        }
        return (intake, try enqueue(unit))
    }

    /// Clears a firing alert whose resolution never arrived, as a human's decision: journaled as a human action,
    /// then the rollout goes on as if the alert resolved. Its delivery is forgotten, so if Alertmanager sends the
    /// same firing again it counts again. Throws `EngineError.alertNotFiring` (nothing changes) when no alert of
    /// the rollout with that fingerprint fires.
    public func clearAlert(_ fingerprint: String, of name: String, actor: String, reason: String) async throws -> RolloutView {
        let spec = try spec(named: name)
        let state = memory.states[name]!
        guard let alert = state.firingAlerts[fingerprint: fingerprint] else {
            throw EngineError.alertNotFiring(fingerprint, rollout: name, firing: state.firingAlerts.map(\.fingerprint))
        }
        var unit = JournalUnit()
        unit.entries.append(
            entry(
                name, run: state.run, .humanAction,
                JournalBody.AlertCleared(
                    actor: actor, reason: reason, fingerprint: fingerprint, alertname: alert.name, startsAt: alert.startsAt)))
        let outcome = machines[name]!.handle(.alertCleared(fingerprint: fingerprint, actor: actor), in: state, at: clock())
        record(outcome, from: state, of: spec, into: &unit)
        let firing = AlertDeliveryKey(fingerprint: fingerprint, startsAt: alert.startsAt, status: .firing)
        // The store finds it by when it was first seen, which memory keeps for every alert still firing.
        if let seenAt = memory.deliveries.removeValue(forKey: firing) {
            unit.forgottenDeliveries.append(RememberedDelivery(firing, seenAt: seenAt))
        }
        try await commit(unit)
        alertsLastSeen[name]?[fingerprint] = nil
        return view(of: spec, in: outcome.state)
    }

    /// Remembers when a delivery last carried a firing alert, so a stale one (its resolution lost) shows.
    func noteSeen(_ alert: AlertObservation, of rollout: String, at now: Timestamp) {
        switch alert.status {
        case .firing: alertsLastSeen[rollout, default: [:]][alert.fingerprint] = now
        case .resolved: alertsLastSeen[rollout]?[alert.fingerprint] = nil
        }
    }

    public func history(of name: String) async throws -> [JournalEntry] {
        _ = try spec(named: name)
        return try await store.history(of: name)
    }

    /// One page of a rollout's journal: see `JournalStore.history(of:before:limit:)`.
    public func history(of name: String, before: Int64?, limit: Int) async throws -> HistoryPage {
        _ = try spec(named: name)
        return try await store.history(of: name, before: before, limit: limit)
    }

    func spec(named name: String) throws -> RolloutSpec {
        guard let spec = config.rollout(named: name) else {
            throw EngineError.unknownRollout(name, known: config.rollouts.map(\.name))
        }
        return spec
    }

    /// The deliveries to recognise repeats of: the recent ones from the store, and the firing of every alert still
    /// firing, however old (its repeats must never act again).
    static func rememberedDeliveries(
        _ store: any JournalStore, _ config: CoalmineConfig, _ states: [String: RolloutState], now: Timestamp
    ) async throws -> [AlertDeliveryKey: Timestamp] {
        var deliveries = try await store.deliveries(seenSince: now - config.store.deliveryRetention)
        for alert in states.values.flatMap(\.firingAlerts) {
            let key = AlertDeliveryKey(fingerprint: alert.fingerprint, startsAt: alert.startsAt, status: .firing)
            if deliveries[key] == nil { deliveries[key] = alert.receivedAt }
        }
        return deliveries
    }

    /// Forgets deliveries first seen before `cutoff`: in memory all but the firing of every alert still firing, in
    /// the store all of them (a start remembers those firings from the rollouts' state). Returns how many the store
    /// forgot.
    public func forgetDeliveries(seenBefore cutoff: Timestamp) async throws -> Int {
        var firing = Set<AlertDeliveryKey>()
        for alert in memory.states.values.flatMap(\.firingAlerts) {
            firing.insert(AlertDeliveryKey(fingerprint: alert.fingerprint, startsAt: alert.startsAt, status: .firing))
        }
        memory.deliveries.keep { key, seenAt in seenAt >= cutoff || firing.contains(key) }
        return try await store.pruneDeliveries(seenBefore: cutoff)
    }
}
