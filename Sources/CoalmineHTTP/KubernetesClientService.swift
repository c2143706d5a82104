import CoalmineKubernetes
import ServiceLifecycle

/// Shuts the Kubernetes API client down when the application stops.
struct KubernetesClientService: Service {
    let client: KubernetesClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
