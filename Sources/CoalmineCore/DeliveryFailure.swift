/// Why a notice was not delivered, and whether trying again can help.
public struct DeliveryFailure: Error, CustomStringConvertible, Sendable {
    /// A 4xx other than 429, or an error the provider reports in a 200 body: resending the same will not help.
    public var isPermanent: Bool
    /// What the provider asked for (Retry-After, Discord's `retry_after`); the backoff is never shorter.
    public var retryAfter: Duration?
    public var description: String

    public static func permanent(_ description: String) -> DeliveryFailure {
        DeliveryFailure(isPermanent: true, retryAfter: nil, description: description)
    }

    public static func transient(_ description: String, retryAfter: Duration? = nil) -> DeliveryFailure {
        DeliveryFailure(isPermanent: false, retryAfter: retryAfter, description: description)
    }
}
