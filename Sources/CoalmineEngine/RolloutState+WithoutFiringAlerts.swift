import CoalmineCore

extension RolloutState {
    /// The state with no firing alerts: what `durableStates` keeps, and what a delivery compares to see whether
    /// it moved a rollout. Made without copying the firing alerts.
    var withoutFiringAlerts: RolloutState {
        var state = self
        state.firingAlerts = []
        return state
    }
}
