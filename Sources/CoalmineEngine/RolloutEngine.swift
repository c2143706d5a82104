import CoalmineCore
import CoalmineJournal
import Foundation
import Logging
import Metrics

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
    /// Rung after every commit that added effects, so the effect runner starts them without waiting for its poll.
    public nonisolated let effectDoorbell = Doorbell()

    let machines: [String: RolloutMachine]
    private let classifier: AlertClassifier
    private let metrics: EngineMetrics

    /// What the engine knows, including changes still being committed; what new events are computed against.
    var memory: EngineMemory
    /// The same as of the last successful commit; restored if a commit fails.
    var durableMemory: EngineMemory
    var queuedUnits: [(unit: JournalUnit, continuation: CheckedContinuation<Void, any Error>)] = []
    var isCommitting = false

    /// Rebuilds every rollout's state from the journal: its newest transition, with deadlines as stored.
    public init(
        config: CoalmineConfig, store: any JournalStore, clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "coalmine.engine")
    ) async throws {
        self.config = config
        self.store = store
        self.clock = clock
        self.logger = logger
        self.classifier = AlertClassifier(rollouts: config.rollouts)
        self.machines = Dictionary(uniqueKeysWithValues: config.rollouts.map { ($0.name, RolloutMachine(policy: $0.policy)) })
        self.metrics = EngineMetrics(factory: metricsFactory)

        let bodies = try await store.latestTransitions()
        let decoder = JSONDecoder()
        var recovered: [String: RolloutState] = [:]
        for spec in config.rollouts {
            if let body = bodies[spec.name] {
                recovered[spec.name] = try decoder.decode(JournalBody.Transition.self, from: Data(body.utf8)).state
            } else {
                recovered[spec.name] = RolloutState(since: clock())
            }
        }
        memory = EngineMemory(
            states: recovered, deliveries: try await store.deliveries(),
            linkUses: Dictionary(try await store.linkUses().map { ($0.nonce, $0) }, uniquingKeysWith: { first, _ in first }))
        durableMemory = memory
        for spec in config.rollouts { metrics.record(recovered[spec.name]!, of: spec.name) }
    }

    // MARK: events

    /// Takes the alerts of one webhook delivery. Returns once their effect is durable.
    public func receive(_ alerts: [AlertObservation], source: String) async throws -> AlertIntake {
        let now = clock()
        var unit = JournalUnit()
        var intake = AlertIntake(received: alerts.count, matched: 0, transitions: 0)
        for alert in alerts {
            let matches = classifier.matches(for: alert)
            guard !matches.isEmpty else {
                metrics.countUnmatchedAlert()
                continue
            }
            intake.matched += 1
            let key = alert.deliveryKey
            // A firing re-sent after its resolution (a late HA peer, a retried group) must not re-open it.
            let resolvedAlready =
                alert.status == .firing
                && memory.deliveries.contains(AlertDeliveryKey(fingerprint: key.fingerprint, startsAt: key.startsAt, status: .resolved))
            guard !memory.deliveries.contains(key), !resolvedAlready else { continue }
            memory.deliveries.insert(key)
            unit.deliveries.append(key)
            for match in matches {
                guard let spec = config.rollout(named: match.rollout), let state = memory.states[match.rollout] else { continue }
                unit.entries.append(
                    entry(
                        spec.name, run: state.run, .alertReceived,
                        JournalBody.AlertReceived(
                            source: source, status: alert.status, alertname: alert.name, role: match.role,
                            fingerprint: alert.fingerprint, startsAt: alert.startsAt, labels: alert.labels,
                            annotations: alert.annotations)))
                let outcome = machines[spec.name]!.handle(.alert(alert, role: match.role), in: state, at: now)
                if record(outcome, from: state, of: spec, into: &unit) { intake.transitions += 1 }
            }
        }
        try await commit(unit)
        return intake
    }

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

    /// Lets time pass: bake deadlines, reminders and auto-rollbacks that are due fire now.
    public func tick() async throws {
        let now = clock()
        var unit = JournalUnit()
        for spec in config.rollouts {
            let state = memory.states[spec.name]!
            record(machines[spec.name]!.handle(.clock, in: state, at: now), from: state, of: spec, into: &unit)
        }
        try await commit(unit)
    }

    /// Journals what became of an effect and feeds router results back to the machine.
    public func settle(_ item: OutboxItem, as settlement: EffectSettlement) async throws {
        guard let spec = config.rollout(named: item.rollout), let state = memory.states[item.rollout] else { return }
        let now = clock()
        var unit = JournalUnit()
        var result = JournalBody.EffectResult(
            effectId: item.id, lane: item.lane, status: .delivered, attempt: item.attempts + 1)
        var event: RolloutEvent?
        var update = EffectUpdate(id: item.id, status: .done, attempts: item.attempts + 1, nextAttemptAt: now)
        switch settlement {
        case .applied(let split):
            result.status = .applied
            result.canaryWeight = split.canary
            result.stableWeight = split.stable
            event = .weightsApplied(run: item.run, canaryWeight: split.canary)
        case .delivered:
            result.status = .delivered
        case .superseded:
            result.status = .superseded
            update.status = .superseded
            update.attempts = item.attempts
        case .retry(let error, let at, let kind):
            result.status = .retrying
            result.error = error
            result.retryAt = at
            update.status = .pending
            update.nextAttemptAt = at
            update.lastError = error
            metrics.countEffectFailure(kind: kind)
            if kind == .router { event = .weightsFailed(run: item.run, message: error) }
        case .failed(let error, let kind):
            result.status = .failed
            result.error = error
            update.status = .failed
            update.lastError = error
            metrics.countEffectFailure(kind: kind)
        }
        unit.effectUpdates.append(update)
        unit.entries.append(entry(spec.name, run: item.run, .effectResult, result))
        if let event {
            record(machines[spec.name]!.handle(event, in: state, at: now), from: state, of: spec, into: &unit)
        }
        try await commit(unit)
    }

    // MARK: reading

    public func view(of name: String) throws -> RolloutView {
        let spec = try spec(named: name)
        let state = memory.states[name]!
        return RolloutView(spec: spec, state: state, allowedActions: machines[name]!.allowedActions(in: state))
    }

    public func views() -> [RolloutView] {
        config.rollouts.map { spec in
            RolloutView(
                spec: spec, state: memory.states[spec.name]!, allowedActions: machines[spec.name]!.allowedActions(in: memory.states[spec.name]!))
        }
    }

    public func history(of name: String) async throws -> [JournalEntry] {
        _ = try spec(named: name)
        return try await store.history(of: name)
    }

    func spec(named name: String) throws -> RolloutSpec {
        guard let spec = config.rollout(named: name) else {
            throw EngineError.unknownRollout(name, known: config.rollouts.map(\.name))
        }
        return spec
    }

    // MARK: building a unit

    /// Adds the outcome's transition and effects to `unit` and makes it the working state.
    /// Returns whether the rollout moved (its state version changed).
    @discardableResult
    func record(_ outcome: RolloutOutcome, from old: RolloutState, of spec: RolloutSpec, into unit: inout JournalUnit)
        -> Bool
    {
        guard outcome.state != old || !outcome.effects.isEmpty else { return false }
        let new = outcome.state
        if new != old {
            memory.states[spec.name] = new
            unit.entries.append(
                entry(
                    spec.name, run: new.run, .transition,
                    JournalBody.Transition(
                        from: old.phase, fromReason: old.reason, to: new.phase, toReason: new.reason,
                        actor: outcome.actor, canaryWeight: new.canaryWeight, stableWeight: new.stableWeight, state: new)))
        }
        for effect in outcome.effects {
            switch effect {
            case .setWeights:
                unit.effects.append(
                    NewEffect(
                        rollout: spec.name, run: new.run, lane: EffectLane.router(spec.name),
                        payload: encode(OutboxEffect(effect: effect, notifier: nil))))
            case .notify:
                for notifier in spec.notify {
                    unit.effects.append(
                        NewEffect(
                            rollout: spec.name, run: new.run, lane: EffectLane.notifier(notifier),
                            payload: encode(OutboxEffect(effect: effect, notifier: notifier))))
                }
            }
        }
        return new.version != old.version
    }

    func entry(_ rollout: String, run: Int, _ kind: JournalKind, _ body: some Encodable) -> NewJournalEntry {
        NewJournalEntry(rollout: rollout, run: run, kind: kind, body: encode(body))
    }

    private func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own plain value types cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    func recordMetrics(for names: some Sequence<String>) {
        for name in names { if let state = durableMemory.states[name] { metrics.record(state, of: name) } }
    }

    func countTransitions(_ count: Int) {
        metrics.countTransitions(count)
    }
}

/// What one webhook delivery did: the body of Coalmine's 200 answer.
public struct AlertIntake: Codable, Equatable, Sendable {
    public var received: Int
    public var matched: Int
    public var transitions: Int
}

/// What became of an effect the runner tried.
public enum EffectSettlement: Sendable {
    public enum Kind: String, Sendable {
        case router
        case notifier
    }
    case applied(WeightSplit)
    case delivered
    case superseded
    case retry(error: String, at: Timestamp, kind: Kind)
    case failed(error: String, kind: Kind)
}

extension Timestamp {
    /// The wall clock, read only at the edges.
    @Sendable public static func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
