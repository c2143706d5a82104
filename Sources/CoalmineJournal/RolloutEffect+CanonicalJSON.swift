import CoalmineCore

// Every effect is written twice in its commit (the outbox's payload and the `effect-requested` entry) and its
// result once more when it settles; through `JSONEncoder` these were a tenth of a millisecond of an idle rollback's
// commit. Fields in the order of their keys' UTF-8 bytes; see `CanonicalJSONObject`.

extension WeightSplit: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("canary", canary)
        if let headerRoute { object.add("headerRoute", json: headerRoute.canonicalJSON) }
        object.add("run", run)
        return object.text
    }
}

extension RolloutNotice: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("actor", actor)
        if let alert { object.add("alert", json: alert.canonicalJSON) }
        object.add("allowedActions", strings: allowedActions.map(\.rawValue))
        object.add("autoRollbackAt", autoRollbackAt?.rfc3339)
        object.add("canaryVersion", canaryVersion)
        object.add("canaryWeightAfter", canaryWeightAfter)
        object.add("canaryWeightBefore", canaryWeightBefore)
        object.add("detail", detail)
        if let headerRoute { object.add("headerRoute", json: headerRoute.canonicalJSON) }
        object.add("kind", kind)
        object.add("phase", phase)
        object.add("reason", reason)
        object.add("run", run)
        object.add("since", since.rfc3339)
        object.add("stableVersion", stableVersion)
        object.add("stateVersion", stateVersion)
        return object.text
    }
}

extension RolloutEffect: CanonicalJSONEncodable {
    /// As Swift's synthesized coding writes an enum case with one unlabelled value: `{"case":{"_0":value}}`.
    public var canonicalJSON: String {
        var value = CanonicalJSONObject()
        var object = CanonicalJSONObject()
        switch self {
        case .setWeights(let split):
            value.add("_0", json: split.canonicalJSON)
            object.add("setWeights", json: value.text)
        case .notify(let notice):
            value.add("_0", json: notice.canonicalJSON)
            object.add("notify", json: value.text)
        }
        return object.text
    }
}

extension EffectBodies.Requested: CanonicalJSONEncodable {
    var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("effectId", Int(effectId))
        object.add("lane", lane)
        var request = CanonicalJSONObject()
        request.add("effect", json: self.request.effect.canonicalJSON)
        request.add("notifier", self.request.notifier)
        object.add("request", json: request.text)
        return object.text
    }
}

extension EffectBodies.Result: CanonicalJSONEncodable {
    var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("attempt", attempt)
        object.add("canaryWeight", canaryWeight)
        object.add("effectId", Int(effectId))
        object.add("error", error)
        if let headerRoute { object.add("headerRoute", json: headerRoute.canonicalJSON) }
        object.add("lane", lane)
        object.add("retryAt", retryAt?.rfc3339)
        object.add("stableWeight", stableWeight)
        object.add("status", status)
        return object.text
    }
}
