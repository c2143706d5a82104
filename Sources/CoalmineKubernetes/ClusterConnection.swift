import CoalmineCore
import Logging

/// The client and router of `kubernetes.mode: kubeconfig | in-cluster`; nil in dry-run mode.
public struct ClusterConnection: Sendable {
    public let client: KubernetesClient
    public let router: ClusterRouter

    public static func make(_ settings: KubernetesSettings, logger: Logger) throws -> ClusterConnection? {
        let endpoint: ClusterEndpoint
        switch settings.mode {
        case .dryRun:
            return nil
        case .kubeconfig:
            endpoint = try KubeconfigLoader.endpoint(
                paths: KubeconfigLoader.paths(configured: settings.kubeconfig), context: settings.context)
        case .inCluster:
            endpoint = try KubeconfigLoader.inCluster()
        }
        let client = try KubernetesClient(endpoint: endpoint, timeout: settings.requestTimeout, logger: logger)
        return ClusterConnection(
            client: client, router: ClusterRouter(client: client, istioAPIVersion: settings.istioAPIVersion, logger: logger))
    }
}
