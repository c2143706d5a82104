extension ConfigReader {
    mutating func readDefaults(_ value: ConfigValue?) -> RolloutPolicy {
        guard var fields = mapping(value, at: "defaults") else { return RolloutPolicy() }
        let policy = readPolicy(&fields, base: RolloutPolicy())
        finish(fields)
        return policy
    }

    mutating func readRollouts(
        _ value: ConfigValue?, defaults: RolloutPolicy, notifiers: [NotifierSettings]
    ) -> [RolloutSpec] {
        guard let value, value != .null else {
            report("rollouts", "is required: list at least one rollout")
            return []
        }
        guard let items = list(value, at: "rollouts") else { return [] }
        if items.isEmpty { report("rollouts", "is empty: list at least one rollout") }
        var rollouts: [RolloutSpec] = []
        rollouts.reserveCapacity(items.count)
        // A set, not a search of the list so far: that was quadratic, a sixth of starting with 10,000 rollouts.
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let spec = readRollout(item, at: "rollouts[\(index)]", defaults: defaults, notifiers: notifiers)
            else { continue }
            guard names.insert(spec.name).inserted else {
                report("rollouts[\(index)].name", "rollout name '\(spec.name)' is used twice")
                continue
            }
            rollouts.append(spec)
        }
        return rollouts
    }

    private mutating func readRollout(
        _ value: ConfigValue, at path: String, defaults: RolloutPolicy, notifiers: [NotifierSettings]
    ) -> RolloutSpec? {
        guard var fields = mapping(value, at: path) else {
            if value == .null { report(path, "expected a mapping, found null") }
            return nil
        }
        let name = requiredString(fields.take("name"), at: fields.pathOf("name"))
        if let name, !Self.isDNSLabel(name) {
            report(fields.pathOf("name"), "'\(name)' is not a DNS label (lowercase letters, digits and '-', 1 to 63)")
        }
        let namespace = requiredString(fields.take("namespace"), at: fields.pathOf("namespace"))
        if let namespace, !Self.isDNSLabel(namespace) {
            report(fields.pathOf("namespace"), "'\(namespace)' is not a valid namespace name")
        }
        let target = readTrafficTarget(&fields)
        let alerts = readAlertMatching(fields.take("alerts"), at: fields.pathOf("alerts"))
        var notify = notifiers.map(\.name)
        if let names = list(fields.take("notify"), at: fields.pathOf("notify")) {
            notify = []
            for (index, item) in names.enumerated() {
                guard let name = string(item, at: "\(fields.pathOf("notify"))[\(index)]") else { continue }
                if notifiers.contains(where: { $0.name == name }) {
                    notify.append(name)
                } else {
                    report("\(fields.pathOf("notify"))[\(index)]", "no notifier is named '\(name)'")
                }
            }
        }
        let policy = readPolicy(&fields, base: defaults)
        let signals = readSignals(
            &fields,
            defaults: MetricsSelector(
                service: name ?? "", stableVersion: target?.stable ?? "", canaryVersion: target?.canary ?? ""))
        finish(fields)
        guard let name, let namespace, let target else { return nil }
        return RolloutSpec(
            name: name, namespace: namespace, router: target.router, object: target.object, route: target.route,
            stable: target.stable, canary: target.canary, alerts: alerts, notify: notify, policy: policy,
            signals: signals
        )
    }

    /// The object, route and versions to shift traffic between, in the keys of the rollout's `router`.
    private mutating func readTrafficTarget(_ fields: inout ConfigFields)
        -> (router: RolloutSpec.Router, object: String, route: String?, stable: String, canary: String)?
    {
        var router = RolloutSpec.Router.istio
        if let name = string(fields.take("router"), at: fields.pathOf("router")) {
            guard let chosen = RolloutSpec.Router(rawValue: name) else {
                report(fields.pathOf("router"), "expected istio or gateway-api, found '\(name)'")
                return nil
            }
            router = chosen
        }
        let keys =
            router == .istio
            ? (object: "virtualService", route: "route", stable: "stableSubset", canary: "canarySubset")
            : (object: "httpRoute", route: "rule", stable: "stableService", canary: "canaryService")
        let otherKeys =
            router == .istio
            ? ["httpRoute", "rule", "stableService", "canaryService"]
            : ["virtualService", "route", "stableSubset", "canarySubset"]
        for key in otherKeys where fields.has(key) {
            _ = fields.take(key)
            report(fields.pathOf(key), "belongs to router: \(router == .istio ? "gateway-api" : "istio"), not \(router.rawValue)")
        }
        let object = requiredString(fields.take(keys.object), at: fields.pathOf(keys.object))
        let route = string(fields.take(keys.route), at: fields.pathOf(keys.route), nullable: true)
        let stable = requiredString(fields.take(keys.stable), at: fields.pathOf(keys.stable))
        let canary = requiredString(fields.take(keys.canary), at: fields.pathOf(keys.canary))
        if let stable, let canary, stable == canary {
            report(fields.pathOf(keys.canary), "must differ from \(keys.stable) ('\(stable)')")
        }
        guard let object, let stable, let canary else { return nil }
        return (router, object, route, stable, canary)
    }

    private mutating func readAlertMatching(_ value: ConfigValue?, at path: String) -> AlertMatching {
        var matching = AlertMatching()
        guard var fields = mapping(value, at: path) else { return matching }
        if let labels = stringMap(fields.take("matchLabels"), at: fields.pathOf("matchLabels")) {
            matching.matchLabels = labels
        }
        for (index, item) in (list(fields.take("roles"), at: fields.pathOf("roles")) ?? []).enumerated() {
            let rulePath = "\(fields.pathOf("roles"))[\(index)]"
            guard var rule = mapping(item, at: rulePath) else { continue }
            let match = stringMap(rule.take("match"), at: rule.pathOf("match"))
            let roleName = requiredString(rule.take("role"), at: rule.pathOf("role"))
            finish(rule)
            if match == nil || match?.isEmpty == true {
                report(rule.pathOf("match"), "needs at least one label to match")
            }
            guard let match, !match.isEmpty, let roleName else { continue }
            guard let role = AlertRole(rawValue: roleName) else {
                report(rule.pathOf("role"), "expected breaker, gate or abort, found '\(roleName)'")
                continue
            }
            matching.roles.append(RoleRule(match: match, role: role))
        }
        finish(fields)
        return matching
    }

    /// Reads the policy keys present in `fields` over `base`, then checks the result as a whole.
    mutating func readPolicy(_ fields: inout ConfigFields, base: RolloutPolicy) -> RolloutPolicy {
        var policy = base
        if let items = list(fields.take("steps"), at: fields.pathOf("steps")) {
            var steps: [Int] = []
            for (index, item) in items.enumerated() {
                if let weight = int(item, at: "\(fields.pathOf("steps"))[\(index)]") { steps.append(weight) }
            }
            if steps.count == items.count { policy.steps = steps }
            if !policy.steps.isEmpty, policy.steps.contains(where: { !(1...100).contains($0) }) {
                report(fields.pathOf("steps"), "weights must be between 1 and 100")
            } else if !Self.isValidStepList(policy.steps) {
                report(fields.pathOf("steps"), "weights must strictly increase and end at 100")
            }
        }
        if case .some(.some(let bake)) = duration(fields.take("bake"), at: fields.pathOf("bake")) {
            policy.bake = bake
        }
        if let items = list(fields.take("requireApprovalBefore"), at: fields.pathOf("requireApprovalBefore")) {
            policy.requireApprovalBefore = items.enumerated().compactMap { index, item in
                int(item, at: "\(fields.pathOf("requireApprovalBefore"))[\(index)]")
            }
        }
        if fields.has("requireApprovalBefore") || fields.has("steps") {
            for weight in policy.requireApprovalBefore where !policy.steps.contains(weight) {
                report(
                    fields.pathOf("requireApprovalBefore"),
                    "\(weight) is not one of the steps \(policy.steps)")
            }
        }
        if var breaker = mapping(fields.take("breaker"), at: fields.pathOf("breaker")) {
            if let ratio = double(breaker.take("errorRatio"), at: breaker.pathOf("errorRatio")) {
                if ratio > 0, ratio < 1 {
                    policy.breaker.errorRatio = ratio
                } else {
                    report(breaker.pathOf("errorRatio"), "must be between 0 and 1 (0.01 is 1 %), found \(ratio)")
                }
            }
            if case .some(.some(let window)) = duration(breaker.take("window"), at: breaker.pathOf("window")) {
                policy.breaker.window = window
            }
            finish(breaker)
        }
        if var waiting = mapping(fields.take("awaitingHuman"), at: fields.pathOf("awaitingHuman")) {
            if case .some(.some(let every)) = duration(
                waiting.take("renotifyEvery"), at: waiting.pathOf("renotifyEvery"))
            {
                policy.awaitingHuman.renotifyEvery = every
            }
            if case .some(let after) = duration(
                waiting.take("autoRollbackAfter"), at: waiting.pathOf("autoRollbackAfter"), nullable: true)
            {
                policy.awaitingHuman.autoRollbackAfter = after
            }
            finish(waiting)
        }
        switch fields.take("headerStage") {
        case nil:
            break
        case .null?:
            // A rollout turns off a header stage its defaults have.
            policy.headerStage = nil
        case let value?:
            if var stage = mapping(value, at: fields.pathOf("headerStage")) { policy.headerStage = readHeaderStage(&stage) }
        }
        return policy
    }

    /// `{ header, exact | regex, bake }`.
    private mutating func readHeaderStage(_ fields: inout ConfigFields) -> HeaderStage? {
        let header = requiredString(fields.take("header"), at: fields.pathOf("header"))
        if let header, !Self.isLowercaseHeaderName(header) {
            report(fields.pathOf("header"), "'\(header)' is not a lowercase header name (Istio matches only lowercase names)")
        }
        let exact = string(fields.take("exact"), at: fields.pathOf("exact"))
        let regex = string(fields.take("regex"), at: fields.pathOf("regex"))
        var match: (HeaderMatch.Kind, String)?
        switch (exact, regex) {
        case (let exact?, nil):
            match = (.exact, exact)
        case (nil, let regex?):
            if (try? Regex(regex)) == nil {
                report(fields.pathOf("regex"), "'\(regex)' is not a regular expression")
            } else {
                match = (.regex, regex)
            }
        case (.some, .some):
            report(fields.path, "give exact or regex, not both")
        case (nil, nil):
            if !fields.has("exact"), !fields.has("regex") { report(fields.path, "needs exact or regex") }
        }
        var bake: Duration?
        if case .some(.some(let duration)) = duration(fields.take("bake"), at: fields.pathOf("bake")) { bake = duration }
        finish(fields)
        guard let header, Self.isLowercaseHeaderName(header), let (kind, value) = match else { return nil }
        return HeaderStage(match: HeaderMatch(header: header, kind: kind, value: value), bake: bake)
    }

    /// Istio matches only lowercase header names; the Gateway API compares them case-insensitively.
    static func isLowercaseHeaderName(_ text: String) -> Bool {
        isHeaderName(text) && text == text.lowercased()
    }

    static func isValidStepList(_ steps: [Int]) -> Bool {
        guard let last = steps.last, last == 100, steps.allSatisfy({ (1...100).contains($0) }) else { return false }
        return zip(steps, steps.dropFirst()).allSatisfy { $0 < $1 }
    }

    static func isDNSLabel(_ text: String) -> Bool {
        let characters = Array(text.utf8)
        guard (1...63).contains(characters.count) else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool { (97...122).contains(byte) || (48...57).contains(byte) }
        guard isAlphanumeric(characters[0]), isAlphanumeric(characters[characters.count - 1]) else { return false }
        return characters.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
