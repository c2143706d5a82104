import CoalmineCore

/// A delivery the store remembers so that Alertmanager's repeats of it are recognised, with when the engine first
/// saw it: the remembered deliveries are kept in that order, pruned by it, and one is found again by it.
public struct RememberedDelivery: Hashable, Sendable {
    public var key: AlertDeliveryKey
    public var seenAt: Timestamp

    public init(_ key: AlertDeliveryKey, seenAt: Timestamp) {
        self.key = key
        self.seenAt = seenAt
    }
}
