import CoalmineCore
import CoalmineJournal
import Metrics

/// The engine's counters, made through an injected factory so every app instance (and test) has its own registry.
/// Per-rollout gauges are not made here: with thousands of rollouts a registry entry per rollout and state costs
/// more than the rollouts themselves; `/metrics` renders them from `RolloutEngine.gaugeReadings()` when scraped.
struct EngineMetrics: Sendable {
    let factory: any MetricsFactory

    /// Every counter exists from the start at 0: one that appeared only with its first increment would hide that
    /// increment from `increase()` and `rate()`, and an alert on the first failed rollback would never fire.
    init(factory: any MetricsFactory) {
        self.factory = factory
        Counter(label: "coalmine_transitions_total", factory: factory).increment(by: 0)
        for kind in ["router", "notifier"] {
            Counter(label: "coalmine_effect_failures_total", dimensions: [("kind", kind)], factory: factory).increment(by: 0)
        }
        Counter(label: "coalmine_alerts_unmatched_total", factory: factory).increment(by: 0)
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
