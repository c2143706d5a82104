/// The Prometheus rules that watch each rollout, generated from its config so the breaker Coalmine documents is
/// the breaker Prometheus evaluates.
///
/// Per rollout: request rate, error ratio and p99 latency of each version (recording rules); the breaker (canary
/// error ratio above `breaker.errorRatio` for `breaker.window`); a latency gate; a no-traffic gate; and the ML
/// gates that are configured. Every alert carries `coalmine_rollout` and `coalmine_role`.
public enum PrometheusRules {
    public static let requestRate = "coalmine:request_rate"
    public static let errorRatio = "coalmine:error_ratio"
    public static let latencyP99 = "coalmine:latency_p99_ms"
    public static let predictionShare = "coalmine:prediction_bucket_share"
    public static let predictionKL = "coalmine:prediction_kl_divergence"

    public static func groups(for config: CoalmineConfig) -> [PrometheusRuleGroup] {
        config.rollouts.map(group(for:))
    }

    static func group(for rollout: RolloutSpec) -> PrometheusRuleGroup {
        let metrics = rollout.signals.metrics
        let window = DurationText.format(metrics.rateWindow)
        let own = [("coalmine_rollout", rollout.name)]
        func versionLabels(_ version: String) -> [(String, String)] { own + [("coalmine_version", version)] }
        func requests(_ version: String, errorsOnly: Bool = false) -> String {
            var matchers = [
                Matcher(metrics.serviceLabel, "=", metrics.service), Matcher(metrics.versionLabel, "=", version),
            ]
            if errorsOnly { matchers.append(Matcher(metrics.codeLabel, "=~", metrics.errorCodeRegex)) }
            return "sum(rate(\(selector(metrics.requests, matchers))[\(window)]))"
        }
        func recorded(_ name: String, _ version: String) -> String {
            selector(name, [Matcher("coalmine_rollout", "=", rollout.name), Matcher("coalmine_version", "=", version)])
        }

        var rules: [PrometheusRule] = []
        for (role, version) in [("canary", metrics.canaryVersion), ("stable", metrics.stableVersion)] {
            let latency = selector(
                metrics.latency, [Matcher(metrics.serviceLabel, "=", metrics.service), Matcher(metrics.versionLabel, "=", version)])
            rules += [
                .record(name: requestRate, expr: requests(version), labels: versionLabels(role)),
                .record(
                    name: errorRatio, expr: "\(requests(version, errorsOnly: true)) / \(requests(version))",
                    labels: versionLabels(role)),
                .record(
                    name: latencyP99, expr: "histogram_quantile(0.99, sum by (le) (rate(\(latency)[\(window)])))",
                    labels: versionLabels(role)),
            ]
        }

        let breaker = rollout.policy.breaker
        let threshold = percent(breaker.errorRatio)
        let breakerWindow = DurationText.format(breaker.window)
        rules.append(
            .alert(
                name: "CoalmineCanaryErrorRatioHigh", expr: "\(recorded(errorRatio, "canary")) > \(number(breaker.errorRatio))",
                for: breaker.window, labels: own + [("coalmine_role", "breaker"), ("severity", "page")],
                annotations: [
                    ("summary", "\(rollout.name): canary error ratio {{ $value | humanizePercentage }} > \(threshold) for \(breakerWindow)"),
                    ("value", "{{ $value }}"),
                ]))

        let latencyGate = rollout.signals.latencyGate
        rules.append(
            .alert(
                name: "CoalmineCanaryLatencyHigh",
                expr: "\(recorded(latencyP99, "canary")) > ignoring(coalmine_version) \(number(latencyGate.factor)) * \(recorded(latencyP99, "stable"))"
                    + " and on(coalmine_rollout) \(recorded(requestRate, "canary")) > 0",
                for: latencyGate.window, labels: own + [("coalmine_role", "gate"), ("severity", "warning")],
                annotations: [
                    ("summary", "\(rollout.name): canary p99 {{ $value | humanize }} ms above \(number(latencyGate.factor)) × stable p99 for \(DurationText.format(latencyGate.window))"),
                    ("value", "{{ $value }}"),
                ]))

        // Coalmine exports the weight it set; a canary with weight but no requests is a broken scrape or a
        // broken route, never health.
        rules.append(
            .alert(
                name: "CoalmineCanaryNoTraffic",
                expr: "max(\(selector("coalmine_canary_weight", [Matcher("rollout", "=", rollout.name)]))) > 0"
                    + " unless on() sum(\(recorded(requestRate, "canary"))) > 0",
                for: .seconds(300), labels: own + [("coalmine_role", "gate"), ("severity", "warning")],
                annotations: [("summary", "\(rollout.name): the canary has traffic weight but reports no requests for 5m")]))

        rules += mlGateRules(for: rollout)
        return PrometheusRuleGroup(name: "coalmine-\(rollout.name)", rules: rules)
    }

    static func mlGateRules(for rollout: RolloutSpec) -> [PrometheusRule] {
        let metrics = rollout.signals.metrics
        let gates = rollout.signals.mlGates
        let own = [("coalmine_rollout", rollout.name)]
        var rules: [PrometheusRule] = []
        func matchers(_ labels: [String: String], _ versionLabel: String, _ version: String) -> [Matcher] {
            labels.sorted { $0.key < $1.key }.map { Matcher($0.key, "=", $0.value) } + [Matcher(versionLabel, "=", version)]
        }

        if let drift = gates.predictionDrift {
            let window = DurationText.format(drift.window)
            let bounds = drift.buckets + ["+Inf"]
            for (role, version) in [("canary", metrics.canaryVersion), ("stable", metrics.stableVersion)] {
                func cumulative(_ bound: String) -> String {
                    "sum(increase(\(selector("\(drift.metric)_bucket", matchers(drift.labels, drift.versionLabel, version) + [Matcher("le", "=", bound)]))[\(window)]))"
                }
                for (index, bound) in bounds.enumerated() {
                    let count = index == 0 ? cumulative(bound) : "(\(cumulative(bound)) - \(cumulative(bounds[index - 1])))"
                    // Add-one smoothing: an empty bucket still has a share, so the logarithm stays finite.
                    rules.append(
                        .record(
                            name: predictionShare, expr: "(\(count) + 1) / (\(cumulative("+Inf")) + \(bounds.count))",
                            labels: own + [("coalmine_version", role), ("bucket", String(index))]))
                }
            }
            let share = { (role: String) in
                selector(predictionShare, [Matcher("coalmine_rollout", "=", rollout.name), Matcher("coalmine_version", "=", role)])
            }
            rules.append(
                .record(
                    name: predictionKL,
                    expr: "sum by (coalmine_rollout) (\(share("canary")) * ignoring(coalmine_version) ln(\(share("canary")) / ignoring(coalmine_version) \(share("stable"))))",
                    labels: own))
            rules.append(
                .alert(
                    name: "CoalminePredictionDrift",
                    expr: "\(selector(predictionKL, [Matcher("coalmine_rollout", "=", rollout.name)])) > \(number(drift.maxKL))",
                    for: .seconds(300), labels: own + [("coalmine_role", "gate"), ("severity", "warning")],
                    annotations: [
                        ("summary", "\(rollout.name): canary predictions drift from stable, KL {{ $value | humanize }} > \(number(drift.maxKL)) over \(window)"),
                        ("value", "{{ $value }}"),
                    ]))
        }
        if let gpu = gates.gpuMemory {
            rules.append(
                .alert(
                    name: "CoalmineCanaryGPUMemoryHigh",
                    expr: "avg(\(selector(gpu.metric, matchers(gpu.labels, gpu.versionLabel, metrics.canaryVersion))))"
                        + " > \(number(gpu.factor)) * avg(\(selector(gpu.metric, matchers(gpu.labels, gpu.versionLabel, metrics.stableVersion))))",
                    for: gpu.window, labels: own + [("coalmine_role", "gate"), ("severity", "warning")],
                    annotations: [
                        ("summary", "\(rollout.name): canary GPU memory above \(number(gpu.factor)) × stable for \(DurationText.format(gpu.window))")
                    ]))
        }
        if let kernel = gates.opKernelErrors {
            rules.append(
                .alert(
                    name: "CoalmineCanaryOpKernelMissing",
                    expr: "sum(increase(\(selector(kernel.metric, matchers(kernel.labels, kernel.versionLabel, metrics.canaryVersion)))[\(DurationText.format(metrics.rateWindow))])) > 0",
                    for: nil, labels: own + [("coalmine_role", kernel.role.rawValue), ("severity", "page")],
                    annotations: [("summary", "\(rollout.name): the canary logs \"No registered ... OpKernel\": the model cannot serve")]))
        }
        return rules
    }

    struct Matcher {
        var label: String
        var op: String
        var value: String

        init(_ label: String, _ op: String, _ value: String) {
            self.label = label
            self.op = op
            self.value = value
        }
    }

    static func selector(_ metric: String, _ matchers: [Matcher]) -> String {
        let inner = matchers.map { matcher in
            var escaped = ""
            for character in matcher.value {
                if character == "\\" || character == "\"" { escaped.append("\\") }
                escaped.append(character)
            }
            return "\(matcher.label)\(matcher.op)\"\(escaped)\""
        }
        return "\(metric){\(inner.joined(separator: ","))}"
    }

    /// A number as PromQL and people read it: `0.01`, `1.5`, `2`.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// A ratio as a percentage for people: 0.01 → "1%", 0.005 → "0.5%".
    static func percent(_ ratio: Double) -> String {
        "\(number((ratio * 100_000).rounded() / 1000))%"
    }
}
