import ServiceLifecycle

/// Runs `work`, then waits `interval`, until graceful shutdown or cancellation. A shutdown cuts the wait short,
/// never `work`: a commit or a request is not abandoned half way.
func repeatUntilShutdown(every interval: Duration, _ work: () async -> Void) async {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        await work()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}
