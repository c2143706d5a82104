import CoalmineCore
import Logging

/// The client and router of `kubernetes.mode: kubeconfig | in-cluster`; nil in dry-run mode.
public struct ClusterConnection: Sendable {
    public let client: KubernetesClient
    public let router: ClusterRouter

    /// `withheldVariables` name the environment variables that hold Coalmine's own secrets: an exec credential
    /// plugin does not see them.
    public static func make(
        _ settings: KubernetesSettings, withheldVariables: Set<String> = [], logger: Logger
    ) throws -> ClusterConnection? {
        var endpoint: ClusterEndpoint
        switch settings.mode {
        case .dryRun:
            return nil
        case .kubeconfig:
            endpoint = try KubeconfigLoader.endpoint(
                paths: KubeconfigLoader.paths(configured: settings.kubeconfig), context: settings.context)
        case .inCluster:
            endpoint = try KubeconfigLoader.inCluster()
        }
        if case .exec(var plugin)? = endpoint.credentials.bearer {
            plugin.withheldVariables = withheldVariables
            endpoint.credentials.bearer = .exec(plugin)
        }
        let client = try KubernetesClient(endpoint: endpoint, timeout: settings.requestTimeout, logger: logger)
        return ClusterConnection(
            client: client, router: ClusterRouter(client: client, istioAPIVersion: settings.istioAPIVersion, logger: logger))
    }
}
