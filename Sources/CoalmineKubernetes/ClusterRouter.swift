import CoalmineCore
import Logging

/// The router of a cluster mode: each rollout goes to the Istio or Gateway API router its config names.
public struct ClusterRouter: TrafficRouter {
    let istio: IstioRouter
    let gatewayAPI: GatewayAPIRouter

    public init(client: KubernetesClient, istioAPIVersion: String, logger: Logger) {
        istio = IstioRouter(client: client, apiVersion: istioAPIVersion, logger: logger)
        gatewayAPI = GatewayAPIRouter(client: client, logger: logger)
    }

    private func router(for rollout: RolloutSpec) -> any TrafficRouter {
        rollout.router == .istio ? istio : gatewayAPI
    }

    public func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit {
        try await router(for: rollout).apply(split, to: rollout)
    }

    public func traffic(of rollout: RolloutSpec) async throws -> TrafficReading? {
        try await router(for: rollout).traffic(of: rollout)
    }

    /// Read-only: finds the rollout's object and route and reports their weights (`check-config`).
    public func inspect(_ rollout: RolloutSpec) async throws -> RouteInspection {
        rollout.router == .istio ? try await istio.inspect(rollout) : try await gatewayAPI.inspect(rollout)
    }
}
