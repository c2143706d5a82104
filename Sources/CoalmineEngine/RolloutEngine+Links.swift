import CoalmineCore
import CoalmineJournal

extension RolloutEngine {
    /// What a link would do now, without doing it: for the page a GET shows.
    public func preview(_ claims: ActionClaims) throws(LinkRefusal) -> RolloutView {
        let (spec, state) = try check(claims)
        return RolloutView(spec: spec, state: state, allowedActions: machines[spec.name]!.allowedActions(in: state))
    }

    /// Performs a verified link's action once, for `actor`. The nonce is used up in the same transaction, so a
    /// double click, a retried POST or a forwarded link act at most once.
    public func perform(_ claims: ActionClaims, actor: String) async throws -> RolloutView {
        let (spec, state) = try check(claims)
        let machine = machines[spec.name]!
        let outcome = machine.handle(.command(HumanCommand(claims.action, actor: actor)), in: state, at: clock())
        if let refusal = outcome.refusal {
            throw LinkRefusal.notAllowed(refusal, RolloutView(spec: spec, state: state, allowedActions: refusal.allowedActions))
        }
        let use = ActionLinkUse(nonce: claims.nonce, rollout: spec.name, action: claims.action, actor: actor, usedAt: clock())
        memory.linkUses[claims.nonce] = use
        var unit = JournalUnit()
        unit.linkUses.append(use)
        unit.entries.append(
            entry(
                spec.name, run: state.run, .humanAction,
                JournalBody.HumanAction(
                    action: claims.action, actor: actor, reason: "signed link from \(claims.notifier)",
                    canaryVersion: nil, stableVersion: nil)))
        record(outcome, from: state, of: spec, into: &unit)
        try await commit(unit)
        return RolloutView(spec: spec, state: outcome.state, allowedActions: machine.allowedActions(in: outcome.state))
    }

    private func check(_ claims: ActionClaims) throws(LinkRefusal) -> (RolloutSpec, RolloutState) {
        guard let spec = config.rollout(named: claims.rollout), let state = memory.states[claims.rollout] else {
            throw .unknownRollout(claims.rollout)
        }
        if let use = memory.linkUses[claims.nonce] { throw .alreadyUsed(use) }
        let view = RolloutView(spec: spec, state: state, allowedActions: machines[spec.name]!.allowedActions(in: state))
        guard state.run == claims.run, state.version == claims.stateVersion else { throw .stale(view) }
        return (spec, state)
    }
}

/// Why a genuine link does not act.
public enum LinkRefusal: Error, Sendable {
    case unknownRollout(String)
    case alreadyUsed(ActionLinkUse)
    /// The rollout moved on since the message was sent.
    case stale(RolloutView)
    case notAllowed(ActionRefusal, RolloutView)
}
