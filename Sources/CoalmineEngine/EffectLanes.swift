import CoalmineCore
import CoalmineJournal

/// Every lane the config has: each rollout's router and each notifier. Fixed for the life of the engine, so
/// readers need no lock to find a lane.
public struct EffectLanes: Sendable {
    public let queues: [EffectLane: EffectLaneQueue]
    /// Lanes that got work while no task ran them.
    let activations = LaneActivations()

    init(config: CoalmineConfig) {
        let lanes = config.rollouts.map { EffectLane.router(rollout: $0.name) } + config.notifiers.map { .notifier($0.name) }
        queues = Dictionary(uniqueKeysWithValues: lanes.map { [activations] in ($0, EffectLaneQueue(lane: $0, activations: activations)) })
    }

    public subscript(lane: EffectLane) -> EffectLaneQueue? { queues[lane] }

    func add(_ items: [OutboxItem]) {
        for (lane, items) in Dictionary(grouping: items, by: \.lane) { queues[lane]?.add(items) }
    }

    /// Adds the effects of `items` their lanes do not hold yet: after a commit whose answer was lost, the outbox may
    /// hold effects it created that no lane was given.
    func addMissing(_ items: [OutboxItem]) {
        for (lane, items) in Dictionary(grouping: items, by: \.lane) { queues[lane]?.addMissing(items) }
    }

    /// Forgets what every lane held and starts again from `items`: the outbox as a new leader finds it.
    func reset(to items: [OutboxItem]) {
        for queue in queues.values { queue.reset() }
        add(items)
    }

    func retire(_ settlements: [EffectSettlement]) {
        for (lane, settlements) in Dictionary(grouping: settlements, by: \.effect.lane) { queues[lane]?.retire(settlements) }
    }
}
