import CoalmineCore
import CoalmineJournal
import DequeModule
import Synchronization

/// The effects of one lane that are not settled yet, shared by the engine, which adds them after each commit and
/// retires them once their settlement is durable, and the lane's one runner task, which waits here for work.
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
    }

    public let lane: EffectLane
    private let state = Mutex(State())
    private let arrivals = WakeSignal()

    init(lane: EffectLane) {
        self.lane = lane
    }

    /// The unsettled effects, oldest first.
    public var items: [OutboxItem] { state.withLock { Array($0.items) } }

    /// Whether an effect of this lane is waiting or running.
    public var isBusy: Bool { state.withLock { !$0.items.isEmpty || $0.held != nil } }

    var held: HeldSettlements? { state.withLock { $0.held } }

    func add(_ items: [OutboxItem]) {
        state.withLock { $0.items += items }
        arrivals.signal()
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
