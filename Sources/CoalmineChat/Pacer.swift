/// Keeps sends to one endpoint at least `interval` apart, below the provider's rate limit
/// (Slack about one message a second, DingTalk and WeCom twenty a minute).
actor Pacer {
    private let interval: Duration
    private var nextAllowed = ContinuousClock.now

    init(interval: Duration) {
        self.interval = interval
    }

    func waitTurn() async {
        let now = ContinuousClock.now
        let start = max(now, nextAllowed)
        nextAllowed = start + interval
        if start > now { try? await Task.sleep(until: start, clock: .continuous) }
    }
}
