/// Delivers notices to one channel.
public protocol Notifier: Sendable {
    var name: String { get }
    /// Sends `message`; throws `DeliveryFailure` (or any error, taken as transient) when it was not delivered.
    func deliver(_ message: NoticeMessage) async throws
}
