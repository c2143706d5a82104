import CoalmineCore
import CoalmineEngine
import Synchronization

/// A notifier that keeps what it was given, and fails on demand the way a chat API does.
public final class RecordingNotifier: Notifier {
    public enum Behaviour: Sendable {
        case deliver
        case failTransiently
        case failPermanently
    }

    public let name: String
    private let state = Mutex<(behaviour: Behaviour, delivered: [RolloutNotice], attempts: Int)>((.deliver, [], 0))

    public init(name: String) {
        self.name = name
    }

    public func behave(_ behaviour: Behaviour) {
        state.withLock { $0.behaviour = behaviour }
    }

    public var delivered: [RolloutNotice] { state.withLock { $0.delivered } }
    public var attempts: Int { state.withLock { $0.attempts } }

    public struct Outage: Error {}

    public func deliver(_ notice: RolloutNotice, about rollout: RolloutSpec) async throws {
        let behaviour = state.withLock { state in
            state.attempts += 1
            if state.behaviour == .deliver { state.delivered.append(notice) }
            return state.behaviour
        }
        switch behaviour {
        case .deliver: return
        case .failTransiently: throw Outage()
        case .failPermanently: throw PermanentDeliveryFailure("400 Bad Request: invalid_payload")
        }
    }
}
