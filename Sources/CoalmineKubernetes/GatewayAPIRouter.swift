import CoalmineCore
import Logging

/// The weights of a Gateway API HTTPRoute's `rules[].backendRefs[]`, by Service. Written as integers summing to 100
/// (the API reads them as relative weights).
public struct GatewayAPIRouter: TrafficRouter {
    private let router: WeightedRouteRouter

    public init(client: KubernetesClient, logger: Logger) {
        router = WeightedRouteRouter(client: client, layout: .gatewayAPI, logger: logger)
    }

    public func apply(_ split: WeightSplit, to rollout: RolloutSpec) async throws -> WeightSplit {
        try await router.apply(split, to: rollout, at: Self.path(rollout))
    }

    public func traffic(of rollout: RolloutSpec) async throws -> TrafficReading? {
        try await router.traffic(of: rollout, at: Self.path(rollout))
    }

    public func inspect(_ rollout: RolloutSpec) async throws -> RouteInspection {
        try await router.inspect(rollout, at: Self.path(rollout))
    }

    public static func path(_ rollout: RolloutSpec) -> String {
        "/apis/gateway.networking.k8s.io/v1/namespaces/\(rollout.namespace)/httproutes/\(rollout.object)"
    }
}
