import Foundation
import Synchronization

/// The names of rollouts whose journal just grew, for whoever watches live (the dashboard's event stream): each
/// subscriber gets every name once per commit that touched it, newest kept when it falls behind.
public final class RolloutChanges: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])

    public init() {}

    /// A stream of changed rollout names that ends when the caller stops iterating it.
    public func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1000))
        let id = UUID()
        continuation.onTermination = { [weak self] _ in self?.subscribers.withLock { _ = $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// Whether anyone watches: a commit works out the names it touched only then.
    var isWatched: Bool { subscribers.withLock { !$0.isEmpty } }

    func publish(_ names: Set<String>) {
        guard !names.isEmpty else { return }
        let continuations = subscribers.withLock { Array($0.values) }
        for continuation in continuations {
            for name in names { continuation.yield(name) }
        }
    }
}
