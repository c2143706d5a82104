import AsyncHTTPClient
import ServiceLifecycle

/// Owns the HTTP client the notifiers share and shuts it down when the service group stops.
public struct HTTPClientService: Service {
    public let client: HTTPClient

    public init(client: HTTPClient = HTTPClient(eventLoopGroupProvider: .singleton)) {
        self.client = client
    }

    public func run() async throws {
        // Waits for shutdown, then closes the client's connections.
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
