import CoalmineCore
import CoalmineJournal
import DequeModule
import Synchronization

/// The effects of one lane that are not settled yet, shared by the engine, which adds them after each commit and
/// retires them once their settlement is durable, and the lane's runner task, which exists only while the lane
/// has work: with ten thousand rollouts, a task waiting on every idle router lane cost 80 MiB.
public final class EffectLaneQueue: Sendable {
    /// Settlements the journal did not accept: held here, never re-run, until the journal takes them.
    struct HeldSettlements: Sendable {
        var settlements: [EffectSettlement]
        var failures: Int
        var retryAt: Timestamp
    }

    private struct State {
        /// Oldest first; effects settle from the front, so a backlog of thousands drains in linear time.
        var items: Deque<OutboxItem> = []
        var held: HeldSettlements?
        /// Whether a task runs this lane; when not, the next arrival asks for one.
        var hasRunner = false
    }

    public let lane: EffectLane
    private let state = Mutex(State())
    private let arrivals = WakeSignal()
    private let activations: LaneActivations

    init(lane: EffectLane, activations: LaneActivations) {
        self.lane = lane
        self.activations = activations
    }

    /// The unsettled effects, oldest first.
    public var items: [OutboxItem] { state.withLock { Array($0.items) } }

    /// Whether an effect of this lane is waiting or running.
    public var isBusy: Bool { state.withLock { !$0.items.isEmpty || $0.held != nil } }

    var held: HeldSettlements? { state.withLock { $0.held } }

    /// Whether a task runs this lane now.
    public var hasRunner: Bool { state.withLock { $0.hasRunner } }

    func add(_ items: [OutboxItem]) {
        let needsRunner = state.withLock { state in
            state.items += items
            defer { state.hasRunner = true }
            return !state.hasRunner
        }
        arrivals.signal()
        if needsRunner { activations.activate(lane) }
    }

    /// Adds those of `items` the lane does not hold yet (by id).
    func addMissing(_ items: [OutboxItem]) {
        let missing = state.withLock { state in
            let held = Set(state.items.map(\.id)).union(state.held?.settlements.map(\.effect.id) ?? [])
            return items.filter { !held.contains($0.id) }
        }
        if !missing.isEmpty { add(missing) }
    }

    /// Empties the lane; its runner, if one was left from a lost lead, is gone with the runner service.
    func reset() {
        state.withLock { $0 = State() }
    }

    /// For the lane's task when it finds nothing due: true, and the lane counts as without a task, when nothing
    /// waits or is held; false when work arrived meanwhile.
    func finishIfIdle() -> Bool {
        state.withLock { state in
            guard state.items.isEmpty, state.held == nil else { return false }
            state.hasRunner = false
            return true
        }
    }

    /// After a durable settlement: done effects leave, retried ones wait for their next attempt.
    func retire(_ settlements: [EffectSettlement]) {
        state.withLock { state in
            for settlement in settlements {
                let id = settlement.effect.id
                if !settlement.outcome.isPending, state.items.first?.id == id {
                    state.items.removeFirst()
                    continue
                }
                guard let index = state.items.firstIndex(where: { $0.id == id }) else { continue }
                if case .retrying(let error, let at) = settlement.outcome {
                    state.items[index].attempts = settlement.attempts
                    state.items[index].nextAttemptAt = at
                    state.items[index].lastError = error
                } else {
                    state.items.remove(at: index)
                }
            }
            state.held = nil
        }
    }

    func hold(_ held: HeldSettlements) {
        state.withLock { $0.held = held }
    }

    /// Returns when an effect arrives, after `limit` (if given), or when the task is cancelled.
    func waitForWork(upTo limit: Duration?) async {
        await arrivals.wait(upTo: limit)
    }
}
