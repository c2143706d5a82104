import CoalmineCore
import CoalmineJournal

extension RolloutEngine {
    /// What a drift check needs before it reads the cluster: the rollouts that are under way, with the state
    /// version and the weight Coalmine intends. A weight change still in the outbox is not drift, so rollouts
    /// with one pending are left out.
    public func driftCandidates() -> [(rollout: RolloutSpec, version: Int, run: Int)] {
        config.rollouts.compactMap { spec in
            guard let state = memory.states[spec.name], state.phase.isActive,
                effectLanes[.router(rollout: spec.name)]?.isBusy == false
            else { return nil }
            return (spec, state.version, state.run)
        }
    }

    /// Takes the traffic a drift check read. Acts only if the rollout has not moved since `version` (a move would
    /// have changed the weights on purpose): journals `drift-detected` with both splits and header routes,
    /// re-applies Coalmine's and notifies.
    public func observe(_ observed: TrafficReading, of name: String, atVersion version: Int) async throws {
        let spec = try spec(named: name)
        guard let state = memory.states[name], state.version == version,
            observed.canaryWeight != state.canaryWeight || observed.headerRoute != state.headerRoute
        else { return }
        let outcome = machines[name]!.handle(.weightsObserved(run: state.run, observed), in: state, at: clock())
        guard !outcome.effects.isEmpty else { return }
        var unit = JournalUnit()
        unit.entries.append(
            entry(
                name, run: state.run, .driftDetected,
                JournalBody.DriftDetected(
                    intendedCanaryWeight: state.canaryWeight, intendedStableWeight: state.stableWeight,
                    observedCanaryWeight: observed.canaryWeight, observedStableWeight: 100 - observed.canaryWeight,
                    intendedHeaderRoute: state.headerRoute, observedHeaderRoute: observed.headerRoute)))
        record(outcome, from: state, of: spec, into: &unit)
        try await commit(unit)
    }
}
