/// An outside call did not finish in time. The deadline covers the whole call: connecting, the answer's head and
/// its body, so a peer that sends headers and then stalls is cut off like one that never answers.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public var timeout: Duration

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    public var description: String { "no complete answer within \(DurationText.format(timeout))" }
}

/// Runs `operation`, cancelling it at `timeout`; throws `DeadlineExceeded` then. Returns only once the operation
/// has ended, so nothing it started outlives the call.
public func withDeadline<Value: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(timeout: timeout) }
        return value
    }
}
