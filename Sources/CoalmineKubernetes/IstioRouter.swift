import CoalmineCore
import Logging
import Synchronization

/// The weights of an Istio VirtualService's `http[].route[]` destinations, by subset.
public final class IstioRouter: TrafficRouter {
    private let router: WeightedRouteRouter
    private let logger: Logger
    /// `v1` until a 404 shows this cluster serves only `v1beta1` (Istio before 1.22).
    private let version: Mutex<String>

    public init(client: KubernetesClient, apiVersion: String = "v1", logger: Logger) {
        router = WeightedRouteRouter(client: client, layout: .istio, logger: logger)
        version = Mutex(apiVersion)
        self.logger = logger
    }

    public func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit {
        try await withVersionFallback(rollout) { try await router.apply(split, to: rollout, at: $0) }
    }

    public func traffic(of rollout: RolloutSpec) async throws -> TrafficReading? {
        try await withVersionFallback(rollout) { try await router.traffic(of: rollout, at: $0) }
    }

    public func inspect(_ rollout: RolloutSpec) async throws -> RouteInspection {
        try await withVersionFallback(rollout) { try await router.inspect(rollout, at: $0) }
    }

    /// The API path of the rollout's VirtualService in `version`.
    public static func path(version: String, _ rollout: RolloutSpec) -> String {
        "/apis/networking.istio.io/\(version)/namespaces/\(rollout.namespace)/virtualservices/\(rollout.object)"
    }

    private func withVersionFallback<Result>(
        _ rollout: RolloutSpec, _ body: (String) async throws -> Result
    ) async throws -> Result {
        let current = version.withLock { $0 }
        do {
            return try await body(Self.path(version: current, rollout))
        } catch let error as KubernetesError where error.code == 404 && current == "v1" {
            // If v1beta1 answers 404 too, the object really is missing and that error is the one to show.
            let result = try await body(Self.path(version: "v1beta1", rollout))
            version.withLock { $0 = "v1beta1" }
            logger.notice(
                "networking.istio.io/v1 is not served here; using v1beta1 (Istio before 1.22)",
                metadata: ["rollout": "\(rollout.name)"])
            return result
        }
    }
}
