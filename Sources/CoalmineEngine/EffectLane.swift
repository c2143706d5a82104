/// The lanes of the outbox: effects of one lane run one at a time, in order. Each rollout's router is a lane, and
/// each notifier is one, so a slow chat API delays only its own messages.
enum EffectLane {
    static func router(_ rollout: String) -> String { "router:\(rollout)" }
    static func notifier(_ name: String) -> String { "notifier:\(name)" }
    static func isRouter(_ lane: String) -> Bool { lane.hasPrefix("router:") }
}
