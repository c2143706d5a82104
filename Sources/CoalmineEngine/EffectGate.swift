import CoalmineJournal

/// Decides whether an effect may start now: with replicas, only the leader's effects may, each claimed in the
/// leader's term first.
public protocol EffectGate: Sendable {
    func mayStart(_ item: OutboxItem) async -> Bool
}
