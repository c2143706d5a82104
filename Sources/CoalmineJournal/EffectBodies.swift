import CoalmineCore

/// The bodies of the entries the store writes for the outbox. Field names are part of the history API.
enum EffectBodies {
    struct Requested: Encodable {
        struct Request: Encodable {
            var effect: RolloutEffect
            var notifier: String?
        }
        var effectId: Int64
        var lane: String
        var request: Request

        init(id: Int64, _ effect: NewEffect) {
            effectId = id
            lane = effect.lane.description
            var notifier: String?
            if case .notifier(let name) = effect.lane { notifier = name }
            request = Request(effect: effect.effect, notifier: notifier)
        }
    }

    struct Result: Encodable {
        var effectId: Int64
        var lane: String
        var status: String
        var attempt: Int
        var canaryWeight: Int?
        var stableWeight: Int?
        /// The header route read back with the weights.
        var headerRoute: HeaderMatch?
        var error: String?
        var retryAt: Timestamp?

        init(_ settlement: EffectSettlement) {
            effectId = settlement.effect.id
            lane = settlement.effect.lane.description
            status = settlement.outcome.status
            attempt = settlement.attempts
            error = settlement.outcome.error
            switch settlement.outcome {
            case .applied(let split):
                canaryWeight = split.canary
                stableWeight = split.stable
                headerRoute = split.headerRoute
            case .retrying(_, let at):
                retryAt = at
            case .delivered, .superseded, .failed:
                break
            }
        }
    }
}
