import CoalmineCore

/// Where an API keeps its weighted destinations. Istio's VirtualService and the Gateway API's HTTPRoute differ
/// only in names and defaults; the guarded patch is the same.
public struct RouteLayout: Sendable {
    /// `http` or `rules`, under `spec`.
    var entriesKey: String
    /// `route` or `backendRefs`, in each entry.
    var destinationsKey: String
    /// From a destination to the path of the field naming its version (`destination/subset`, `name`).
    var identityPath: [JSONPointerStep]
    /// The weight of a destination that has none (Istio: 0 among several; Gateway API: 1).
    var absentWeight: Int64
    /// How messages name an entry and a version: "http route", "subset" / "rule", "Service".
    var entryNoun: String
    var versionNoun: String
    /// `match` or `matches`, in each entry.
    var matchesKey: String
    /// How a match lists header conditions.
    var headerStyle: HeaderStyle
    /// Whether the first matching entry wins (Istio), so an entry after the rollout's is never reached; the
    /// Gateway API picks the most specific match wherever its rule stands.
    var firstMatchWins: Bool

    enum HeaderStyle: Sendable {
        /// Istio: `headers: {name: {exact: v} | {regex: v}}`.
        case istioMap
        /// Gateway API: `headers: [{type: Exact | RegularExpression, name, value}]`.
        case gatewayList
    }

    public static let istio = RouteLayout(
        entriesKey: "http", destinationsKey: "route", identityPath: ["destination", "subset"], absentWeight: 0,
        entryNoun: "http route", versionNoun: "subset", matchesKey: "match", headerStyle: .istioMap,
        firstMatchWins: true)

    public static let gatewayAPI = RouteLayout(
        entriesKey: "rules", destinationsKey: "backendRefs", identityPath: ["name"], absentWeight: 1,
        entryNoun: "rule", versionNoun: "Service", matchesKey: "matches", headerStyle: .gatewayList,
        firstMatchWins: false)

    /// The version a destination names: its subset (Istio) or Service (Gateway API).
    func identity(of destination: JSONValue) -> String? {
        identityPath.reduce(Optional(destination)) { value, step in
            guard case .key(let key) = step else { return nil }
            return value?[key]
        }?.string
    }

    /// The rollout's route in `object`: one entry, its stable and canary destinations, their weights.
    func locate(in object: JSONValue, for rollout: RolloutSpec) throws(RouteSelectionError) -> WeightedRoute {
        let what = "\(rollout.objectKind) \(rollout.namespace)/\(rollout.object)"
        guard let entries = object["spec"]?[entriesKey]?.array else {
            throw RouteSelectionError(description: "\(what) has no spec.\(entriesKey)")
        }
        func name(_ entry: JSONValue) -> String? { entry["name"]?.string }
        func identity(_ destination: JSONValue) -> String? { self.identity(of: destination) }
        func describe(_ index: Int) -> String { name(entries[index]).map { "\(index) ('\($0)')" } ?? "\(index)" }

        let candidates: [Int]
        if let wanted = rollout.route {
            candidates = entries.indices.filter { name(entries[$0]) == wanted }
            if candidates.isEmpty {
                let names = entries.compactMap(name).map { "'\($0)'" }.joined(separator: ", ")
                throw RouteSelectionError(
                    description: "\(what) has no \(entryNoun) named '\(wanted)' (named: \(names.isEmpty ? "none" : names))")
            }
            if candidates.count > 1 {
                throw RouteSelectionError(
                    description: "\(what) has \(candidates.count) \(entryNoun)s named '\(wanted)' (\(candidates.map(describe).joined(separator: ", ")))")
            }
        } else {
            candidates = entries.indices.filter { index in
                let names = (entries[index][destinationsKey]?.array ?? []).compactMap(identity)
                return names.contains(rollout.stable) && names.contains(rollout.canary)
            }
            if candidates.count != 1 {
                let found = candidates.isEmpty ? "none does" : "\(candidates.map(describe).joined(separator: ", ")) all do"
                throw RouteSelectionError(
                    description: "exactly one \(entryNoun) of \(what) must send to both \(versionNoun)s \(rollout.stable) and \(rollout.canary);"
                        + " \(found)\(candidates.isEmpty ? "" : "; name one with `\(rollout.router == .istio ? "route" : "rule"):`")")
            }
        }
        let entryIndex = candidates[0]
        let destinations = entries[entryIndex][destinationsKey]?.array ?? []
        func only(_ version: String) throws(RouteSelectionError) -> Int {
            let matches = destinations.indices.filter { identity(destinations[$0]) == version }
            guard matches.count == 1 else {
                throw RouteSelectionError(
                    description: "\(entryNoun) \(describe(entryIndex)) of \(what) has \(matches.count) destinations for \(versionNoun) \(version), needs exactly one")
            }
            return matches[0]
        }
        let stableIndex = try only(rollout.stable)
        let canaryIndex = try only(rollout.canary)
        func weight(_ index: Int) -> Int64 { destinations[index]["weight"]?.int ?? absentWeight }
        for index in destinations.indices where index != stableIndex && index != canaryIndex && weight(index) > 0 {
            throw RouteSelectionError(
                description: "\(entryNoun) \(describe(entryIndex)) of \(what) also sends traffic to \(identity(destinations[index]) ?? "another destination")"
                    + " (weight \(weight(index))); Coalmine splits all of it between \(rollout.stable) and \(rollout.canary), so give the others weight 0")
        }
        let headerRoute = HeaderRouteEntry(
            layout: self, base: entries[entryIndex], canaryDestination: destinations[canaryIndex], canary: rollout.canary,
            name: HeaderRouteEntry.name(for: rollout))
        var headerIndices = entries.indices.filter { name(entries[$0]) == headerRoute.name }
        if headerIndices.isEmpty, headerStyle == .gatewayList, let configured = rollout.policy.headerStage?.match {
            // HTTPRoute CRDs without rule names drop `name` from what they store: Coalmine's rule is then the
            // unnamed one that sends only to the canary on the rollout's configured header.
            headerIndices = entries.indices.filter { index in
                index != entryIndex && name(entries[index]) == nil && headerRoute.match(in: entries[index]) == configured
            }
        }
        if headerIndices.count > 1 {
            throw RouteSelectionError(
                description: "\(what) has \(headerIndices.count) \(entryNoun)s that are Coalmine's header route for \(rollout.name)"
                    + " (\(headerIndices.map(describe).joined(separator: ", "))); remove all but one")
        }
        return WeightedRoute(
            layout: self, entryIndex: entryIndex, entryName: rollout.route, stableIndex: stableIndex, canaryIndex: canaryIndex,
            stableWeight: weight(stableIndex), canaryWeight: weight(canaryIndex), stable: rollout.stable, canary: rollout.canary,
            resourceVersion: object["metadata"]?["resourceVersion"]?.string, headerRoute: headerRoute,
            headerEntry: headerIndices.first.map { ($0, entries[$0]) })
    }
}

/// One located route with its two weights, and the guarded patch that changes exactly those.
struct WeightedRoute: Sendable {
    let layout: RouteLayout
    let entryIndex: Int
    let entryName: String?
    let stableIndex: Int
    let canaryIndex: Int
    let stableWeight: Int64
    let canaryWeight: Int64
    let stable: String
    let canary: String
    let resourceVersion: String?
    /// How Coalmine's header route for the rollout is written and read, and where it is now, if anywhere.
    let headerRoute: HeaderRouteEntry
    let headerEntry: (index: Int, value: JSONValue)?

    /// The header match whose requests go to the canary, from Coalmine's entry; on Istio only if it stands before
    /// the rollout's (after it, Istio would never reach it).
    var headerMatch: HeaderMatch? {
        guard let headerEntry, !layout.firstMatchWins || headerEntry.index < entryIndex else { return nil }
        return headerRoute.match(in: headerEntry.value)
    }

    /// The canary's share in percent. Weights Coalmine writes sum to 100; hand-made ones may be relative.
    var canaryPercent: Int {
        let total = stableWeight + canaryWeight
        guard total > 0 else { return 0 }
        return Int((Double(canaryWeight) * 100 / Double(total)).rounded())
    }

    /// Tests that the object is still the one read (resourceVersion), that the entry and both destinations are
    /// where they were, then sets the two weights, then adds, rewrites or removes Coalmine's header route (tested
    /// by its name, or whole where the server dropped names) as `split` asks. Nothing else in the object is touched.
    func patch(for split: WeightSplit) -> [JSONPatchOperation] {
        let entry: [JSONPointerStep] = ["spec", .key(layout.entriesKey), .index(entryIndex)]
        func destination(_ index: Int) -> [JSONPointerStep] { entry + [.key(layout.destinationsKey), .index(index)] }
        var operations: [JSONPatchOperation] = []
        if let resourceVersion { operations.append(.test(["metadata", "resourceVersion"], .string(resourceVersion))) }
        if let entryName { operations.append(.test(entry + ["name"], .string(entryName))) }
        operations.append(.test(destination(stableIndex) + layout.identityPath, .string(stable)))
        operations.append(.test(destination(canaryIndex) + layout.identityPath, .string(canary)))
        operations.append(.add(destination(stableIndex) + ["weight"], .int(Int64(split.stable))))
        operations.append(.add(destination(canaryIndex) + ["weight"], .int(Int64(split.canary))))
        // After the weights, whose paths use the entry's index as read: the header route goes in before it.
        let entries: [JSONPointerStep] = ["spec", .key(layout.entriesKey)]
        if let headerEntry {
            // In force as asked: nothing to do. Anything else of Coalmine's, in force or not, goes.
            if let wanted = split.headerRoute, headerMatch == wanted { return operations }
            // By its name, or whole where the server dropped the name.
            if headerEntry.value["name"] != nil {
                operations.append(.test(entries + [.index(headerEntry.index), "name"], .string(headerRoute.name)))
            } else {
                operations.append(.test(entries + [.index(headerEntry.index)], headerEntry.value))
            }
            operations.append(.remove(entries + [.index(headerEntry.index)]))
            if let match = split.headerRoute {
                let index = headerEntry.index < entryIndex ? entryIndex - 1 : entryIndex
                operations.append(.add(entries + [.index(index)], headerRoute.entry(for: match)))
            }
        } else if let match = split.headerRoute {
            operations.append(.add(entries + [.index(entryIndex)], headerRoute.entry(for: match)))
        }
        return operations
    }
}
