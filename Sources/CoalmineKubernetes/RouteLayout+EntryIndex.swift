import CoalmineCore

extension RouteLayout {
    /// The index of the `http[]` route or rule `rollout` would change in `object`, or why there is none.
    public func entryIndex(in object: JSONValue, for rollout: RolloutSpec) throws(RouteSelectionError) -> Int {
        try locate(in: object, for: rollout).entryIndex
    }

    /// The header match Coalmine's header route for `rollout` sends to the canary in `object`, if one is in force.
    public func headerMatch(in object: JSONValue, for rollout: RolloutSpec) throws(RouteSelectionError) -> HeaderMatch? {
        try locate(in: object, for: rollout).headerMatch
    }
}
