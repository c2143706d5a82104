import CoalmineCore
import CoalmineJournal

/// What the engine holds in memory between events, all of it rebuilt from the journal on start.
struct EngineMemory: Sendable {
    var states: [String: RolloutState]
    /// Alert deliveries already acted on, with when each was first seen: those of the last
    /// `store.retention.deliveries`, and the firing of every alert still firing.
    var deliveries: DeliveryMemory
    /// Action links already used, by nonce.
    var linkUses: [String: ActionLinkUse]
}
