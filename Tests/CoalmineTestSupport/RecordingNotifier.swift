import CoalmineCore
import Synchronization

/// A notifier that keeps what it was given, and fails on demand the way a chat API does.
public final class RecordingNotifier: Notifier {
    public enum Behaviour: Sendable {
        case deliver
        case failTransiently
        case failPermanently
    }

    public let name: String
    private let state = Mutex<(behaviour: Behaviour, delivered: [NoticeMessage], attempts: Int)>((.deliver, [], 0))

    public init(name: String) {
        self.name = name
    }

    public func behave(_ behaviour: Behaviour) {
        state.withLock { $0.behaviour = behaviour }
    }

    /// The notices delivered, in order.
    public var delivered: [RolloutNotice] { state.withLock { $0.delivered.map(\.notice) } }
    /// The whole messages delivered, links included.
    public var messages: [NoticeMessage] { state.withLock { $0.delivered } }
    public var attempts: Int { state.withLock { $0.attempts } }

    public struct Outage: Error {}

    public func deliver(_ message: NoticeMessage) async throws {
        let behaviour = state.withLock { state in
            state.attempts += 1
            if state.behaviour == .deliver { state.delivered.append(message) }
            return state.behaviour
        }
        switch behaviour {
        case .deliver: return
        case .failTransiently: throw Outage()
        case .failPermanently: throw DeliveryFailure.permanent("400 Bad Request: invalid_payload")
        }
    }
}
