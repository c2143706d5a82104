import CoalmineKubernetes

/// Runs `body` with a client of `endpoint` and shuts the client down afterwards, whether `body` returned or threw:
/// a client released while still running stops the whole test process, taking every other test's result with it.
public func withKubernetesClient<Value>(
    _ endpoint: ClusterEndpoint, timeout: Duration = .seconds(10), _ body: (KubernetesClient) async throws -> Value
) async throws -> Value {
    let client = try KubernetesClient(endpoint: endpoint, timeout: timeout)
    do {
        let value = try await body(client)
        try await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}
