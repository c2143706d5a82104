import Synchronization

/// A flag one side sets and the other takes: "there is new work". Cheaper and simpler than a stream for a
/// poller that also wakes on a timer.
public final class Doorbell: Sendable {
    private let rung = Atomic<Bool>(false)

    public init() {}

    public func ring() {
        rung.store(true, ordering: .releasing)
    }

    /// Whether it rang since the last call.
    public func take() -> Bool {
        rung.exchange(false, ordering: .acquiringAndReleasing)
    }
}
