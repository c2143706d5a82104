import CoalmineCore
import CoalmineJournal

/// What the engine holds in memory between events, all of it rebuilt from the journal on start.
struct EngineMemory: Sendable {
    var states: [String: RolloutState]
    /// Alert deliveries already acted on.
    var deliveries: Set<AlertDeliveryKey>
    /// Action links already used, by nonce.
    var linkUses: [String: ActionLinkUse]
}
