import CoalmineCore
import CoalmineJournal
import Foundation
import Logging
import Metrics
import Synchronization

/// Owns the state of every rollout. Each event runs through the pure machine, and its transition, effects and
/// journal entries are committed together before the caller hears back; only then may effects run.
///
/// Concurrent callers share commits: while one batch is being written, the next callers queue up and go out
/// together in the following transaction (see `commit`).
public actor RolloutEngine {
    public nonisolated let config: CoalmineConfig
    let store: any JournalStore
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// The outbox as it is being worked: the engine adds each commit's new effects to their lane and retires
    /// them when their settlement is durable. It alone writes the outbox, and reads it only at start.
    public nonisolated let effectLanes: EffectLanes
    /// Whether commits go through; `/readyz` reads it.
    public nonisolated let journalHealth = JournalHealth()
    /// The rollouts each commit touched, for live views.
    public nonisolated let changes = RolloutChanges()
    /// Signalled when a rollout gets a deadline earlier than every other, so the ticker wakes for it.
    public nonisolated let deadlineWakeup = WakeSignal()
    var deadlines: DeadlineSchedule

    let machines: [String: RolloutMachine]
    let classifier: AlertClassifier
    let metrics: EngineMetrics

    /// What the engine knows, including changes still being committed; what new events are computed against.
    var memory: EngineMemory
    /// Each rollout's state as of the last successful commit, without its firing alerts: what `/metrics` reads,
    /// from any thread, without waiting for the engine. Only the rollouts a commit touched are copied in, and never
    /// their firing alerts, so a commit costs nothing per rollout, per remembered delivery or per firing alert, and
    /// the working state's firing alerts stay its own (a copy shared with a snapshot made every new alert copy them
    /// all).
    nonisolated let durableStates: Mutex<[String: RolloutState]>
    /// Set from a failed commit until the working state is loaded from the journal again; no unit is committed
    /// meanwhile.
    var isRecovering = false
    /// Units waiting to be written; see `commit`.
    nonisolated let commits = CommitQueue()
    /// For each rollout, the last unit queued that changed its state: once it is durable, so is the rollout's
    /// working state as it was then (one rollout's units are written in the order they were queued).
    var lastChange: [String: CommitTicket] = [:]
    /// When a delivery last carried each firing alert, by rollout and fingerprint. Not journaled (a repeat delivery
    /// changes nothing else); after a restart an alert shows as last seen when it was received, until it comes again.
    var alertsLastSeen: [String: [String: Timestamp]] = [:]

    /// Rebuilds every rollout's state from the journal: its newest transition, with deadlines as stored. Effects
    /// still pending go back to their lanes (see `takeUpEffects`) unless `startsEffects` is false: a replica that
    /// does not lead takes them up only when it does (`resumeFromJournal`).
    public init(
        config: CoalmineConfig, store: any JournalStore, clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "coalmine.engine"),
        startsEffects: Bool = true
    ) async throws {
        self.config = config
        self.store = store
        self.clock = clock
        self.logger = logger
        self.classifier = AlertClassifier(rollouts: config.rollouts)
        self.machines = Dictionary(uniqueKeysWithValues: config.rollouts.map { ($0.name, RolloutMachine(policy: $0.policy)) })
        self.metrics = EngineMetrics(factory: metricsFactory)
        self.effectLanes = EffectLanes(config: config)

        memory = try await Self.load(store, config, now: clock())
        durableStates = Mutex(memory.states.mapValues(\.withoutFiringAlerts))
        deadlines = DeadlineSchedule(memory.states)
        if startsEffects { try await takeUpEffects() }
    }

    /// Puts the outbox's pending effects in their lanes. Those that can no longer run (their rollout or notifier
    /// was removed from the config) are journaled as failed, once.
    private func takeUpEffects() async throws {
        var pending: [OutboxItem] = []
        var orphans: [EffectSettlement] = []
        for item in try await store.pendingEffects() {
            if let reason = Self.whyUnrunnable(item, in: config) {
                orphans.append(EffectSettlement(item, .failed(error: reason), tried: false))
            } else {
                pending.append(item)
            }
        }
        if !orphans.isEmpty {
            var unit = JournalUnit()
            unit.settlements = orphans
            try await store.commit([unit], at: clock())
            for orphan in orphans {
                metrics.countEffectFailure(lane: orphan.effect.lane)
                logger.warning(
                    "an effect can no longer run; journaled as failed",
                    metadata: ["rollout": "\(orphan.effect.rollout)", "effect": "\(orphan.effect.id)",
                        "error": "\(orphan.outcome.error ?? "")"])
            }
        }
        effectLanes.reset(to: pending)
    }

    /// When this replica becomes the leader: everything the engine knows is read from the journal again (another
    /// replica led meanwhile), and the pending effects are taken up, as at a start.
    public func resumeFromJournal() async throws {
        memory = try await Self.load(store, config, now: clock())
        lastChange = [:]
        alertsLastSeen = [:]
        durableStates.withLock { $0 = memory.states.mapValues(\.withoutFiringAlerts) }
        deadlines = DeadlineSchedule(memory.states)
        try await takeUpEffects()
        deadlineWakeup.signal()
    }

    /// What the journal says the engine knows: each rollout's newest transition with its exact firing alerts, the
    /// deliveries to recognise repeats of, the action links used.
    static func load(_ store: any JournalStore, _ config: CoalmineConfig, now: Timestamp) async throws -> EngineMemory {
        let bodies = try await store.latestTransitions()
        var firing = try await store.firingAlerts()
        let decoder = JSONDecoder()
        var states: [String: RolloutState] = [:]
        states.reserveCapacity(config.rollouts.count)
        for spec in config.rollouts {
            if let body = bodies[spec.name] {
                var state = try decoder.decode(JournalBody.Transition.self, from: Data(body.utf8)).state
                // A transition shows only the first firing alerts; the store holds them all.
                state.firingAlerts = FiringAlerts(firing.removeValue(forKey: spec.name) ?? [])
                states[spec.name] = state
            } else {
                states[spec.name] = RolloutState(since: now)
            }
        }
        return EngineMemory(
            states: states, deliveries: DeliveryMemory(try await rememberedDeliveries(store, config, states, now: now)),
            linkUses: Dictionary(try await store.linkUses().map { ($0.nonce, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Why an effect found in the outbox at start cannot run under `config`, if it cannot.
    static func whyUnrunnable(_ item: OutboxItem, in config: CoalmineConfig) -> String? {
        if config.rollout(named: item.rollout) == nil { return "rollout \(item.rollout) is no longer configured" }
        if case .notifier(let name) = item.lane, !config.notifiers.contains(where: { $0.name == name }) {
            return "notifier \(name) is no longer configured"
        }
        return nil
    }

    // MARK: events

    /// Performs a human's action. Throws `EngineError.refused` (nothing changes) when the state does not allow it.
    public func perform(_ command: HumanCommand, on name: String) async throws -> RolloutView {
        let spec = try spec(named: name)
        let state = memory.states[name]!
        let machine = machines[name]!
        let outcome = machine.handle(.command(command), in: state, at: clock())
        if let refusal = outcome.refusal { throw EngineError.refused(refusal) }
        var unit = JournalUnit()
        unit.entries.append(
            entry(
                name, run: outcome.state.run, .humanAction,
                JournalBody.HumanAction(
                    action: command.action, actor: command.actor, reason: command.reason,
                    canaryVersion: command.canaryVersion, stableVersion: command.stableVersion)))
        record(outcome, from: state, of: spec, into: &unit)
        try await commit(unit)
        return RolloutView(spec: spec, state: outcome.state, allowedActions: machine.allowedActions(in: outcome.state))
    }

    /// Lets time pass: the bake ends, reminders and auto-rollbacks that are due fire now. Looks only at rollouts
    /// whose deadline has come. Returns the next deadline, if any.
    @discardableResult
    public func tick() async throws -> Timestamp? {
        let now = clock()
        var unit = JournalUnit()
        for name in deadlines.takeDue(at: now) {
            guard let spec = config.rollout(named: name), let state = memory.states[name] else { continue }
            record(machines[name]!.handle(.clock, in: state, at: now), from: state, of: spec, into: &unit)
        }
        try await commit(unit)
        return deadlines.next
    }

    /// Journals what became of effects a lane tried (or settled without trying), and feeds router results back to
    /// the machine. Once durable, the effects leave their lane or wait there for their next attempt.
    public func settle(_ settlements: [EffectSettlement]) async throws {
        let now = clock()
        var unit = JournalUnit()
        unit.settlements = settlements
        for settlement in settlements {
            let item = settlement.effect
            guard case .router = item.lane, let spec = config.rollout(named: item.rollout),
                let state = memory.states[item.rollout]
            else { continue }
            let event: RolloutEvent
            switch settlement.outcome {
            case .applied(let split): event = .weightsApplied(run: item.run, canaryWeight: split.canary)
            case .retrying(let error, _): event = .weightsFailed(run: item.run, message: error)
            case .delivered, .superseded, .failed: continue
            }
            record(machines[spec.name]!.handle(event, in: state, at: now), from: state, of: spec, into: &unit)
        }
        try await commit(unit)
        effectLanes.retire(settlements)
        for settlement in settlements where settlement.outcome.error != nil {
            metrics.countEffectFailure(lane: settlement.effect.lane)
        }
    }

    // MARK: reading

    /// The rollout as of a durable commit: a reader never sees a state that a failing commit could still take
    /// back. The working state, firing alerts and all, once the last unit that changed it is durable; throws
    /// `EngineError.journalUnavailable` if that unit fails.
    public func view(of name: String) async throws -> RolloutView {
        let spec = try spec(named: name)
        guard !isRecovering else { throw EngineError.journalUnavailable("a commit failed; reloading from the journal") }
        let state = memory.states[name]!
        try await lastChange[name]?.wait()
        return view(of: spec, in: state)
    }

    /// Every rollout, as `view(of:)` shows one: from the working state once the last change to each is durable,
    /// not from a read of every firing alert the store holds (hundreds of thousands after a storm).
    public func views() async throws -> [RolloutView] {
        guard !isRecovering else { throw EngineError.journalUnavailable("a commit failed; reloading from the journal") }
        let states = memory.states
        for ticket in lastChange.values { try await ticket.wait() }
        return config.rollouts.map { view(of: $0, in: states[$0.name]!) }
    }

    func view(of spec: RolloutSpec, in state: RolloutState) -> RolloutView {
        RolloutView(
            spec: spec, state: state, allowedActions: machines[spec.name]!.allowedActions(in: state),
            lastSeen: alertsLastSeen[spec.name] ?? [:])
    }

    // MARK: building a unit

    /// Adds the outcome's transition and effects to `unit` and makes it the working state.
    /// Returns whether the rollout moved (its state version changed).
    @discardableResult
    func record(_ outcome: RolloutOutcome, from old: RolloutState, of spec: RolloutSpec, into unit: inout JournalUnit)
        -> Bool
    {
        guard outcome.state != old || !outcome.effects.isEmpty else { return false }
        if outcome.state != old {
            journalTransition(from: old, to: outcome.state, actor: outcome.actor, of: spec.name, into: &unit)
        }
        apply(outcome, of: spec, into: &unit)
        return outcome.state.version != old.version
    }

    /// Adds a `transition` entry from `old` to `new`, and the changes to the exact set of firing alerts: given, or
    /// found by comparing the two sets. The entry shows the first `limits.firingAlertsShown` firing alerts and
    /// counts the rest, so its size stays flat.
    func journalTransition(
        from old: RolloutState, to new: RolloutState, actor: String, of name: String,
        firingChanges: [FiringAlertChange]? = nil, into unit: inout JournalUnit
    ) {
        var shown = new
        let limit = config.limits.firingAlertsShown
        let notShown = max(0, new.firingAlerts.count - limit)
        if notShown > 0 { shown.firingAlerts = FiringAlerts(new.firingAlerts.prefix(limit)) }
        unit.entries.append(
            entry(
                name, run: new.run, .transition,
                JournalBody.Transition(
                    from: old.phase, fromReason: old.reason, to: new.phase, toReason: new.reason, actor: actor,
                    canaryWeight: new.canaryWeight, stableWeight: new.stableWeight, state: shown,
                    firingAlertsNotShown: notShown > 0 ? notShown : nil)))
        unit.firingChanges += firingChanges ?? FiringAlertChange.between(old.firingAlerts, new.firingAlerts, of: name)
    }

    /// Makes the outcome's state the working state and puts its effects in the outbox.
    func apply(_ outcome: RolloutOutcome, of spec: RolloutSpec, into unit: inout JournalUnit) {
        settle(outcome.state, of: spec.name)
        queueEffects(of: outcome, of: spec, into: &unit)
    }

    /// Makes `state` the rollout's working state and schedules its next deadline.
    func settle(_ state: RolloutState, of name: String) {
        memory.states[name] = state
        if deadlines.schedule(state.nextDeadline, of: name) { deadlineWakeup.signal() }
    }

    /// Puts the outcome's effects in the outbox: a weight change in the rollout's router lane, a notice in each
    /// of its notifiers' lanes.
    func queueEffects(of outcome: RolloutOutcome, of spec: RolloutSpec, into unit: inout JournalUnit) {
        for effect in outcome.effects {
            switch effect {
            case .setWeights:
                unit.effects.append(
                    NewEffect(rollout: spec.name, run: outcome.state.run, lane: .router(rollout: spec.name), effect: effect))
            case .notify:
                for notifier in spec.notify {
                    unit.effects.append(
                        NewEffect(rollout: spec.name, run: outcome.state.run, lane: .notifier(notifier), effect: effect))
                }
            }
        }
    }

    func entry(_ rollout: String, run: Int, _ kind: JournalKind, _ body: some Encodable) -> NewJournalEntry {
        NewJournalEntry(rollout: rollout, run: run, kind: kind, body: JournalJSON.encode(body))
    }

    /// Each rollout's phase and canary weight as of the last durable commit, in config order: what `/metrics`
    /// shows as `coalmine_rollout_state` and `coalmine_canary_weight`.
    public nonisolated func gaugeReadings() -> [RolloutGaugeReading] {
        durableStates.withLock { durable in
            config.rollouts.map { spec in
                let state = durable[spec.name]!
                return RolloutGaugeReading(rollout: spec.name, phase: state.phase, canaryWeight: state.canaryWeight)
            }
        }
    }
}

/// What one webhook delivery did: the body of Coalmine's 200 answer.
public struct AlertIntake: Codable, Equatable, Sendable {
    public var received: Int
    public var matched: Int
    public var transitions: Int
}

extension Timestamp {
    /// The wall clock, read only at the edges.
    @Sendable public static func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
