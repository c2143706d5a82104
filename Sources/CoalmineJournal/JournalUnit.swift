import CoalmineCore

/// Everything one event writes, committed all or nothing: entries, new effects for the outbox, changes to
/// effects already there, alert deliveries to remember for de-duplication, and action links used up.
public struct JournalUnit: Sendable, Equatable {
    public var entries: [NewJournalEntry] = []
    public var effects: [NewEffect] = []
    public var settlements: [EffectSettlement] = []
    public var deliveries: [RememberedDelivery] = []
    /// Deliveries to forget: a cleared alert's firing, so that a re-sent firing counts again.
    public var forgottenDeliveries: [RememberedDelivery] = []
    /// Changes to the exact set of each rollout's firing alerts.
    public var firingChanges: [FiringAlertChange] = []
    public var linkUses: [ActionLinkUse] = []

    public init() {}

    public var isEmpty: Bool {
        entries.isEmpty && effects.isEmpty && settlements.isEmpty && deliveries.isEmpty
            && forgottenDeliveries.isEmpty && firingChanges.isEmpty && linkUses.isEmpty
    }

    /// About how many rows the unit writes: each effect and settlement also journals an entry.
    public var rowCount: Int {
        entries.count + (effects.count + settlements.count) * 2 + deliveries.count + forgottenDeliveries.count
            + firingChanges.count + linkUses.count
    }

    /// The rollouts whose journal, outbox or firing alerts the unit changes.
    public var rollouts: Set<String> {
        var names = Set(entries.map(\.rollout))
        names.formUnion(effects.map(\.rollout))
        names.formUnion(settlements.map(\.effect.rollout))
        names.formUnion(firingChanges.map(\.rollout))
        names.formUnion(linkUses.map(\.rollout))
        return names
    }
}

/// An effect to put in the outbox. The store journals an `effect-requested` entry for it in the same transaction.
public struct NewEffect: Sendable, Equatable {
    public var rollout: String
    public var run: Int
    public var lane: EffectLane
    public var effect: RolloutEffect

    public init(rollout: String, run: Int, lane: EffectLane, effect: RolloutEffect) {
        self.rollout = rollout
        self.run = run
        self.lane = lane
        self.effect = effect
    }
}

/// What became of an effect in the outbox. The store updates the effect's row and journals an `effect-result`
/// entry from it, in the same transaction.
public struct EffectSettlement: Sendable, Equatable {
    public var effect: OutboxItem
    public var outcome: EffectOutcome
    /// Tries so far, this one included if it was tried.
    public var attempts: Int

    /// `tried` is false for an effect settled without running it (superseded, or one that can no longer run).
    public init(_ effect: OutboxItem, _ outcome: EffectOutcome, tried: Bool) {
        self.effect = effect
        self.outcome = outcome
        self.attempts = effect.attempts + (tried ? 1 : 0)
    }
}
