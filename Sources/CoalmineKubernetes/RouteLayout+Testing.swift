import CoalmineCore

extension RouteLayout {
    /// The index of the entry `rollout` would change in `object`; for tests and `check-config`.
    public func locateForTesting(in object: JSONValue, for rollout: RolloutSpec) throws(RouteSelectionError) -> Int {
        try locate(in: object, for: rollout).entryIndex
    }
}
