import CoalmineCore
import Synchronization

/// A clock the test moves by hand, so bake deadlines and reminders are reached without waiting.
public final class ManualClock: Sendable {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(secondsSinceEpoch: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Timestamp {
        current.withLock { $0 }
    }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    public var reading: @Sendable () -> Timestamp {
        { [self] in now() }
    }
}
