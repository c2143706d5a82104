import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import Logging
import Metrics
import Prometheus

/// Everything a running Coalmine is made of, built from a config. `serve` and the tests build it the same way.
public struct CoalmineRuntime: Sendable {
    public let config: CoalmineConfig
    public let engine: RolloutEngine
    public let store: any JournalStore
    public let router: any TrafficRouter
    public let notifiers: [any Notifier]
    public let credentials: Credentials
    public let registry: PrometheusCollectorRegistry
    public let clock: @Sendable () -> Timestamp
    /// Secret files created by this start, to be announced once.
    public let createdSecrets: [String]

    /// Opens the journal, reads (or creates) the secrets, picks the router and notifiers, recovers the engine.
    public static func make(
        config: CoalmineConfig, logger: Logger, store: (any JournalStore)? = nil, router: (any TrafficRouter)? = nil,
        notifiers: [any Notifier]? = nil, clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) async throws -> CoalmineRuntime {
        var created: [String] = []
        func secret(_ path: String) throws -> String {
            let (value, isNew) = try SecretFile.readOrCreate(at: path)
            if isNew { created.append(path) }
            return value
        }
        let webhook: Credentials.Webhook
        switch config.server.webhook.auth {
        case .bearer(let file): webhook = .bearer(token: try secret(file))
        case .basic(let username, let file): webhook = .basic(username: username, password: try secret(file))
        }
        let credentials = Credentials(
            webhook: webhook, apiToken: try secret(config.server.apiTokenFile),
            grafanaSignatureSecret: try config.server.webhook.grafanaSignatureSecretFile.map(SecretFile.read(at:)),
            grafanaTimestampHeader: config.server.webhook.grafanaTimestampHeader)
        // Created now so links signed by the chat issue's code have a key from the first start on.
        _ = try secret(config.server.actionSigningKeyFile)

        let journal = try store ?? SQLiteJournal(path: config.store.sqlitePath)
        let registry = PrometheusCollectorRegistry()
        let engine = try await RolloutEngine(
            config: config, store: journal, clock: clock, metricsFactory: PrometheusMetricsFactory(registry: registry),
            logger: logger)
        let trafficRouter = router ?? DryRunRouter(logger: logger)
        let channels =
            notifiers
            ?? config.notifiers.map { settings -> any Notifier in
                switch settings.kind {
                case .log: LogNotifier(name: settings.name, logger: logger)
                }
            }
        return CoalmineRuntime(
            config: config, engine: engine, store: journal, router: trafficRouter, notifiers: channels,
            credentials: credentials, registry: registry, clock: clock, createdSecrets: created)
    }
}
