import Testing

/// Waits for `condition`, checking every 5 ms, for at most `bound`; fails the test when the bound passes.
public func waitUntil(
    _ bound: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + bound
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("not true within \(bound)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
