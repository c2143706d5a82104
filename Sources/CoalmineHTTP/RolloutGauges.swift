import CoalmineCore
import CoalmineEngine
import Foundation

/// `coalmine_rollout_state{rollout,state}` and `coalmine_canary_weight{rollout}` in Prometheus' text format, written
/// from the engine's state at each scrape: one pass over the rollouts instead of a registry entry per rollout and
/// state, which made a start with thousands of rollouts quadratic.
enum RolloutGauges {
    static func render(_ readings: [RolloutGaugeReading]) -> String {
        var text = "# TYPE coalmine_rollout_state gauge\n"
        for reading in readings {
            let rollout = escape(reading.rollout)
            for phase in RolloutPhase.allCases {
                text += "coalmine_rollout_state{rollout=\"\(rollout)\",state=\"\(phase.rawValue)\"} \(phase == reading.phase ? 1 : 0)\n"
            }
        }
        text += "# TYPE coalmine_canary_weight gauge\n"
        for reading in readings {
            text += "coalmine_canary_weight{rollout=\"\(escape(reading.rollout))\"} \(reading.canaryWeight)\n"
        }
        return text
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
