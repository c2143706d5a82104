import CoalmineCore
import CoalmineJournal

/// The rollout a delivery's alerts are being applied to, held out of the engine's dictionaries while the next
/// alerts go to it too: an Alertmanager group is most often one rollout's alerts, and its spec, machine, state and
/// change were otherwise looked up (and its state taken out and put back) once for every alert.
struct OpenRollout {
    /// What a delivery did to one rollout: its state before the delivery without its firing alerts (a copy of
    /// those would make the first new alert copy them all), who moved it last, and the changes to its firing
    /// alerts, found per alert rather than by comparing whole sets.
    struct Change {
        var before: RolloutState
        var actor: String
        var firingChanges: [FiringAlertChange] = []
    }

    let spec: RolloutSpec
    let machine: RolloutMachine
    /// Nil only while the machine holds it: handing the machine the only copy lets it add an alert without copying
    /// the ones already firing.
    var state: RolloutState?
    var change: Change
}
