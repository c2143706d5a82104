import CoalmineJournal
import Synchronization

/// The lanes that got work while no task ran them, for the effect runner to start one for each.
final class LaneActivations: Sendable {
    private let lanes = Mutex<[EffectLane]>([])
    let arrivals = WakeSignal()

    func activate(_ lane: EffectLane) {
        lanes.withLock { $0.append(lane) }
        arrivals.signal()
    }

    func take() -> [EffectLane] {
        lanes.withLock { lanes in
            defer { lanes = [] }
            return lanes
        }
    }
}
