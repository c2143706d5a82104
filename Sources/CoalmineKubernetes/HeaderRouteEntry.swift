import CoalmineCore

/// Coalmine's header route for a rollout, as an Istio `http[]` route or a Gateway API rule: a copy of the rollout's
/// own entry (its retries, timeouts, filters stay) whose every match also requires the header, sending to the canary
/// alone. Placed before the rollout's entry, so Istio's first-match order sends matching requests there.
struct HeaderRouteEntry: Sendable {
    let layout: RouteLayout
    /// The rollout's weighted entry, as read.
    let base: JSONValue
    /// The canary's destination (Istio) or backendRef (Gateway API) in it, as read.
    let canaryDestination: JSONValue
    let canary: String
    let name: String

    static func name(for rollout: RolloutSpec) -> String { "coalmine-\(rollout.name)-header" }

    /// The entry Coalmine writes for `match`.
    func entry(for match: HeaderMatch) -> JSONValue {
        guard case .object(var fields) = base else { return base }
        let matches = fields[layout.matchesKey]?.array ?? []
        // No match in the rollout's entry means all its requests: then the header alone.
        fields[layout.matchesKey] = .array((matches.isEmpty ? [.object([:])] : matches).map { adding(match, to: $0) })
        var destination = canaryDestination
        if case .object(var destinationFields) = destination {
            destinationFields["weight"] = nil
            destination = .object(destinationFields)
        }
        fields[layout.destinationsKey] = .array([destination])
        fields["name"] = .string(name)
        return .object(fields)
    }

    /// The header match `entry` sends to the canary, or nil when it sends anywhere else or has no header that
    /// every one of its matches requires (beyond those of the rollout's own entry). Lenient about what the API
    /// server adds (defaults), strict about where the requests go.
    func match(in entry: JSONValue) -> HeaderMatch? {
        let destinations = entry[layout.destinationsKey]?.array ?? []
        guard destinations.count == 1, layout.identity(of: destinations[0]) == canary else { return nil }
        guard let matches = entry[layout.matchesKey]?.array, let first = matches.first else { return nil }
        let own = Set(base[layout.matchesKey]?[0].map(headerConditions(in:)) ?? [])
        return headerConditions(in: first).first { candidate in
            !own.contains(candidate) && matches.allSatisfy { headerConditions(in: $0).contains(candidate) }
        }
    }

    private func adding(_ match: HeaderMatch, to original: JSONValue) -> JSONValue {
        guard case .object(var fields) = original else { return original }
        switch layout.headerStyle {
        case .istioMap:
            var headers: [String: JSONValue] = [:]
            if case .object(let existing)? = fields["headers"] { headers = existing }
            headers[match.header] = .object([match.kind.rawValue: .string(match.value)])
            fields["headers"] = .object(headers)
        case .gatewayList:
            let others = (fields["headers"]?.array ?? []).filter { $0["name"]?.string?.lowercased() != match.header }
            let type = match.kind == .exact ? "Exact" : "RegularExpression"
            fields["headers"] = .array(
                others + [.object(["type": .string(type), "name": .string(match.header), "value": .string(match.value)])])
        }
        return .object(fields)
    }

    /// The exact and regular-expression header conditions of one match.
    private func headerConditions(in match: JSONValue) -> [HeaderMatch] {
        switch layout.headerStyle {
        case .istioMap:
            guard case .object(let headers)? = match["headers"] else { return [] }
            return headers.sorted { $0.key < $1.key }.compactMap { name, condition in
                if let value = condition["exact"]?.string { return HeaderMatch(header: name, kind: .exact, value: value) }
                if let value = condition["regex"]?.string { return HeaderMatch(header: name, kind: .regex, value: value) }
                return nil
            }
        case .gatewayList:
            return (match["headers"]?.array ?? []).compactMap { condition in
                guard let name = condition["name"]?.string, let value = condition["value"]?.string else { return nil }
                switch condition["type"]?.string ?? "Exact" {
                case "Exact": return HeaderMatch(header: name.lowercased(), kind: .exact, value: value)
                case "RegularExpression": return HeaderMatch(header: name.lowercased(), kind: .regex, value: value)
                default: return nil
                }
            }
        }
    }
}
