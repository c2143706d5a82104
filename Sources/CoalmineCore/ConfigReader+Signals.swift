extension ConfigReader {
    /// The `metrics:`, `latencyGate:` and `mlGates:` keys of a rollout, over defaults derived from its versions.
    mutating func readSignals(_ fields: inout ConfigFields, defaults: MetricsSelector) -> RolloutSignals {
        var signals = RolloutSignals(metrics: defaults)
        if var metrics = mapping(fields.take("metrics"), at: fields.pathOf("metrics")) {
            func text(_ key: String, _ target: WritableKeyPath<MetricsSelector, String>) {
                if let value = string(metrics.take(key), at: metrics.pathOf(key)) { signals.metrics[keyPath: target] = value }
            }
            text("requests", \.requests)
            text("versionLabel", \.versionLabel)
            text("serviceLabel", \.serviceLabel)
            text("service", \.service)
            text("codeLabel", \.codeLabel)
            text("errorCodeRegex", \.errorCodeRegex)
            text("stableVersion", \.stableVersion)
            text("canaryVersion", \.canaryVersion)
            text("latency", \.latency)
            if case .some(.some(let window)) = duration(metrics.take("rateWindow"), at: metrics.pathOf("rateWindow")) {
                signals.metrics.rateWindow = window
            }
            if case .some(.some(let interval)) = duration(metrics.take("scrapeInterval"), at: metrics.pathOf("scrapeInterval")) {
                signals.metrics.scrapeInterval = interval
            }
            if signals.metrics.rateWindow < signals.metrics.scrapeInterval * 2 {
                report(
                    metrics.pathOf("rateWindow"),
                    "must be at least twice scrapeInterval (\(DurationText.format(signals.metrics.scrapeInterval))), or one missed scrape empties the rate")
            }
            finish(metrics)
        }
        if var gate = mapping(fields.take("latencyGate"), at: fields.pathOf("latencyGate")) {
            if let factor = double(gate.take("factor"), at: gate.pathOf("factor")) {
                if factor > 1 { signals.latencyGate.factor = factor } else { report(gate.pathOf("factor"), "must be above 1") }
            }
            if case .some(.some(let window)) = duration(gate.take("window"), at: gate.pathOf("window")) {
                signals.latencyGate.window = window
            }
            finish(gate)
        }
        if var gates = mapping(fields.take("mlGates"), at: fields.pathOf("mlGates")) {
            signals.mlGates.predictionDrift = readPredictionDrift(gates.take("predictionDrift"), at: gates.pathOf("predictionDrift"))
            signals.mlGates.gpuMemory = readGPUMemory(gates.take("gpuMemory"), at: gates.pathOf("gpuMemory"))
            signals.mlGates.opKernelErrors = readOpKernel(gates.take("opKernelErrors"), at: gates.pathOf("opKernelErrors"))
            finish(gates)
        }
        return signals
    }

    private mutating func readPredictionDrift(_ value: ConfigValue?, at path: String) -> PredictionDriftGate? {
        guard var fields = mapping(value, at: path) else { return nil }
        defer { finish(fields) }
        let metric = requiredString(fields.take("metric"), at: fields.pathOf("metric"))
        var buckets: [String] = []
        if let items = list(fields.take("buckets"), at: fields.pathOf("buckets")) {
            for (index, item) in items.enumerated() {
                switch item {
                case .string(let bound): buckets.append(bound)
                case .int(let bound): buckets.append(String(bound))
                case .double(let bound): buckets.append(String(bound))
                default: report("\(fields.pathOf("buckets"))[\(index)]", "expected a bucket bound, found \(item.kindName)")
                }
            }
        }
        if buckets.isEmpty { report(fields.pathOf("buckets"), "list the histogram's bucket bounds (le), without +Inf") }
        guard let metric, !buckets.isEmpty else { return nil }
        var gate = PredictionDriftGate(metric: metric, buckets: buckets)
        if let maxKL = double(fields.take("maxKL"), at: fields.pathOf("maxKL")) {
            if maxKL > 0 { gate.maxKL = maxKL } else { report(fields.pathOf("maxKL"), "must be above 0") }
        }
        if case .some(.some(let window)) = duration(fields.take("window"), at: fields.pathOf("window")) { gate.window = window }
        if let label = string(fields.take("versionLabel"), at: fields.pathOf("versionLabel")) { gate.versionLabel = label }
        if let labels = stringMap(fields.take("labels"), at: fields.pathOf("labels")) { gate.labels = labels }
        return gate
    }

    private mutating func readGPUMemory(_ value: ConfigValue?, at path: String) -> GPUMemoryGate? {
        guard var fields = mapping(value, at: path) else { return nil }
        defer { finish(fields) }
        var gate = GPUMemoryGate()
        if let metric = string(fields.take("metric"), at: fields.pathOf("metric")) { gate.metric = metric }
        if let factor = double(fields.take("factor"), at: fields.pathOf("factor")) {
            if factor > 1 { gate.factor = factor } else { report(fields.pathOf("factor"), "must be above 1") }
        }
        if case .some(.some(let window)) = duration(fields.take("window"), at: fields.pathOf("window")) { gate.window = window }
        if let label = string(fields.take("versionLabel"), at: fields.pathOf("versionLabel")) { gate.versionLabel = label }
        if let labels = stringMap(fields.take("labels"), at: fields.pathOf("labels")) { gate.labels = labels }
        return gate
    }

    private mutating func readOpKernel(_ value: ConfigValue?, at path: String) -> OpKernelGate? {
        guard var fields = mapping(value, at: path) else { return nil }
        defer { finish(fields) }
        guard let metric = requiredString(fields.take("metric"), at: fields.pathOf("metric")) else { return nil }
        var gate = OpKernelGate(metric: metric)
        if let role = string(fields.take("role"), at: fields.pathOf("role")) {
            if let chosen = AlertRole(rawValue: role) { gate.role = chosen } else {
                report(fields.pathOf("role"), "expected breaker, gate or abort, found '\(role)'")
            }
        }
        if let label = string(fields.take("versionLabel"), at: fields.pathOf("versionLabel")) { gate.versionLabel = label }
        if let labels = stringMap(fields.take("labels"), at: fields.pathOf("labels")) { gate.labels = labels }
        return gate
    }
}

extension Duration {
    static func * (lhs: Duration, rhs: Int) -> Duration { .milliseconds(lhs.wholeMilliseconds * Int64(rhs)) }
}
