import CoalmineCore
import CoalmineJournal
import Metrics

/// The engine's metrics, made through an injected factory so every app instance (and test) has its own registry.
struct EngineMetrics: Sendable {
    let factory: any MetricsFactory

    func record(_ state: RolloutState, of rollout: String) {
        for phase in RolloutPhase.allCases {
            Gauge(label: "coalmine_rollout_state", dimensions: [("rollout", rollout), ("state", phase.rawValue)], factory: factory)
                .record(phase == state.phase ? 1 : 0)
        }
        Gauge(label: "coalmine_canary_weight", dimensions: [("rollout", rollout)], factory: factory)
            .record(state.canaryWeight)
    }

    func countTransitions(_ count: Int) {
        Counter(label: "coalmine_transitions_total", factory: factory).increment(by: count)
    }

    func countEffectFailure(lane: EffectLane) {
        Counter(label: "coalmine_effect_failures_total", dimensions: [("kind", lane.kind)], factory: factory).increment()
    }

    func countUnmatchedAlert() {
        Counter(label: "coalmine_alerts_unmatched_total", factory: factory).increment()
    }
}
