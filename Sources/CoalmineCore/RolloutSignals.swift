/// Where Prometheus finds a rollout's traffic, and the gates Coalmine generates rules for: the `metrics:`,
/// `latencyGate:` and `mlGates:` keys of a rollout.
public struct RolloutSignals: Equatable, Sendable {
    public var metrics: MetricsSelector
    public var latencyGate = LatencyGate()
    public var mlGates = MLGates()

    public init(metrics: MetricsSelector, latencyGate: LatencyGate = LatencyGate(), mlGates: MLGates = MLGates()) {
        self.metrics = metrics
        self.latencyGate = latencyGate
        self.mlGates = mlGates
    }
}

/// The request metrics of a rollout, Istio's by default.
public struct MetricsSelector: Equatable, Sendable {
    public var requests = "istio_requests_total"
    public var versionLabel = "destination_version"
    public var serviceLabel = "destination_service_name"
    public var service: String
    public var codeLabel = "response_code"
    public var errorCodeRegex = "5.."
    public var stableVersion: String
    public var canaryVersion: String
    public var latency = "istio_request_duration_milliseconds_bucket"
    /// The window of every `rate()`; at least twice `scrapeInterval`, or a missed scrape empties it.
    public var rateWindow: Duration = .seconds(60)
    public var scrapeInterval: Duration = .seconds(15)

    /// Istio's metrics for a rollout named `service` between these versions.
    public init(service: String, stableVersion: String, canaryVersion: String) {
        self.service = service
        self.stableVersion = stableVersion
        self.canaryVersion = canaryVersion
    }
}

/// Canary p99 latency above `factor` times the stable p99 for `window` pauses the rollout.
public struct LatencyGate: Equatable, Sendable {
    public var factor = 1.5
    public var window: Duration = .seconds(600)

    public init() {}
}

/// The gates for model-serving canaries, each opt-in.
public struct MLGates: Equatable, Sendable {
    public var predictionDrift: PredictionDriftGate?
    public var gpuMemory: GPUMemoryGate?
    public var opKernelErrors: OpKernelGate?

    public init() {}
}

/// The canary's output-score histogram drifting from the stable one's: KL divergence above `maxKL` for `window`.
public struct PredictionDriftGate: Equatable, Sendable {
    /// The histogram's name (without `_bucket`).
    public var metric: String
    /// The `le` bounds of its buckets, as the exporter writes them; `+Inf` is implied.
    public var buckets: [String]
    public var maxKL = 0.1
    public var window: Duration = .seconds(1800)
    public var versionLabel = "version"
    /// Extra label matchers selecting the model's series.
    public var labels: [String: String] = [:]

    public init(metric: String, buckets: [String]) {
        self.metric = metric
        self.buckets = buckets
    }
}

/// Canary pods' GPU memory above `factor` times the stable pods' for `window`.
public struct GPUMemoryGate: Equatable, Sendable {
    public var metric = "DCGM_FI_DEV_FB_USED"
    public var factor = 1.5
    public var window: Duration = .seconds(900)
    public var versionLabel = "version"
    public var labels: [String: String] = [:]

    public init() {}
}

/// A log-derived counter of "No registered ... OpKernel" errors: the model cannot serve, so by default it aborts.
public struct OpKernelGate: Equatable, Sendable {
    public var metric: String
    public var role: AlertRole = .abort
    public var versionLabel = "version"
    public var labels: [String: String] = [:]

    public init(metric: String) {
        self.metric = metric
    }
}
