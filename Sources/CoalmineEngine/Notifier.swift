import CoalmineCore

/// Delivers notices to one channel.
public protocol Notifier: Sendable {
    var name: String { get }
    func deliver(_ notice: RolloutNotice, about rollout: RolloutSpec) async throws
}

/// A delivery that will never succeed as sent (a 4xx other than 429): not retried.
public struct PermanentDeliveryFailure: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
