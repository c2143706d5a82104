import CoalmineCore

// Fields in the order of their keys' UTF-8 bytes; see `CanonicalJSONObject`.

extension FiringAlert: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("acknowledged", acknowledged)
        object.add("fingerprint", fingerprint)
        object.add("name", name)
        object.add("receivedAt", receivedAt.rfc3339)
        object.add("role", role)
        object.add("startsAt", startsAt)
        object.add("summary", summary)
        object.add("value", value)
        return object.text
    }
}

extension HeaderMatch: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("header", header)
        object.add("kind", kind)
        object.add("value", value)
        return object.text
    }
}

extension RolloutState: CanonicalJSONEncodable {
    public var canonicalJSON: String {
        var object = CanonicalJSONObject()
        object.add("autoRollbackAt", autoRollbackAt?.rfc3339)
        object.add("canaryVersion", canaryVersion)
        object.add("canaryWeight", canaryWeight)
        object.add("firingAlerts", jsonElements: firingAlerts.lazy.map(\.canonicalJSON))
        if let headerRoute { object.add("headerRoute", json: headerRoute.canonicalJSON) }
        object.add("nextReminderAt", nextReminderAt?.rfc3339)
        object.add("nextStepAt", nextStepAt?.rfc3339)
        object.add("phase", phase)
        object.add("reason", reason)
        object.add("rollbackFailures", rollbackFailures)
        object.add("run", run)
        object.add("since", since.rfc3339)
        object.add("stableVersion", stableVersion)
        object.add("step", step)
        object.add("version", version)
        return object.text
    }
}
