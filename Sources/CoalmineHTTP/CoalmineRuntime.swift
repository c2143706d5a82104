import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import CoalmineKubernetes
import Foundation
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
    public let links: ActionLinks
    /// Shared by the chat notifiers; shut down with the application.
    public let httpClient: HTTPClientService
    /// The cluster's API client in kubeconfig and in-cluster modes; shut down with the application.
    public let kubernetes: KubernetesClient?
    public let registry: PrometheusCollectorRegistry
    public let clock: @Sendable () -> Timestamp
    /// Secret files created by this start, to be announced once.
    public let createdSecrets: [String]
    /// With a PostgreSQL journal: this replica's standing among its peers (every serve on PostgreSQL is a replica,
    /// even alone).
    public let replica: ReplicaStanding?

    /// Opens the journal, reads (or creates) the secrets, picks the router and notifiers, recovers the engine.
    public static func make(
        config: CoalmineConfig, logger: Logger, store: (any JournalStore)? = nil, router: (any TrafficRouter)? = nil,
        notifiers: [any Notifier]? = nil, clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) async throws -> CoalmineRuntime {
        var created: [String] = []
        // Replicas on PostgreSQL must hold the same secrets: one made up here would sign links, key the chain or
        // accept tokens that no other replica does. Only the single embedded server makes its own.
        let generates = config.store.postgres == nil
        func secret(_ path: String, _ configKey: String) throws -> String {
            guard generates else { return try SecretFile.readShared(at: path, configKey: configKey) }
            let (value, isNew) = try SecretFile.readOrCreate(at: path)
            if isNew { created.append(path) }
            return value
        }
        let webhook: Credentials.Webhook
        switch config.server.webhook.auth {
        case .bearer(let file):
            webhook = .bearer(token: try secret(file, "server.webhook.auth.bearerTokenFile"))
        case .basic(let username, let file):
            webhook = .basic(username: username, password: try secret(file, "server.webhook.auth.basic.passwordFile"))
        }
        let credentials = Credentials(
            webhook: webhook, apiToken: try secret(config.server.apiTokenFile, "server.api.tokenFile"),
            grafanaSignatureSecret: try config.server.webhook.grafanaSignatureSecretFile.map(SecretFile.read(at:)),
            grafanaTimestampHeader: config.server.webhook.grafanaTimestampHeader,
            trustedProxySecret: try config.server.actions.trustedProxy.flatMap { proxy in
                // The proxy must be set up with the same secret: one made up here would lock everyone out.
                guard case .secretHeader(_, let file) = proxy else { return nil }
                return try SecretFile.read(at: file)
            })
        let signingKey = try secret(config.server.actions.signingKeyFile, SharedKey.linkSigning.configKey)
        let previousSigningKeys = try config.server.actions.previousKeyFiles.map(SecretFile.read(at:))
        let signer = ActionSigner(
            currentKey: signingKey, previousKeys: previousSigningKeys, linkTTL: config.server.actions.linkTTL)
        let links = ActionLinks(publicURL: config.server.publicURL, signer: signer)

        let journal: any JournalStore
        if let store {
            journal = store
        } else {
            journal = try await openJournal(
                config.store, auditKey: try secret(config.store.auditKeyFile, SharedKey.audit.configKey), logger: logger)
        }
        do {
            // Links this process signs must verify on every replica, and links signed before on this one.
            try await journal.checkKeyID(
                KeyID.of(signingKey), of: .linkSigning, replacing: Set(previousSigningKeys.map(KeyID.of)))
        } catch {
            if store == nil { await journal.close() }
            throw error
        }
        let registry = PrometheusCollectorRegistry()
        var replica: ReplicaStanding?
        if let postgres = journal as? PostgresJournal {
            let host = ProcessInfo.processInfo.hostName
            replica = ReplicaStanding(
                replica: config.server.replicaId ?? host,
                advertiseURL: config.server.advertiseURL
                    ?? ReplicaAddress.defaultAdvertiseURL(hostName: host, port: config.server.listenPort),
                journal: postgres,
                logger: logger)
        }
        // A replica takes up pending effects only once it leads.
        let engine = try await RolloutEngine(
            config: config, store: journal, clock: clock, metricsFactory: PrometheusMetricsFactory(registry: registry),
            logger: logger, startsEffects: replica == nil)
        let cluster = try router == nil ? ClusterConnection.make(config.kubernetes, withheldVariables: config.secretVariables, logger: logger) : nil
        let trafficRouter = router ?? cluster?.router ?? DryRunRouter(logger: logger)
        let httpClient = HTTPClientService()
        let channels: [any Notifier]
        do {
            channels = try notifiers
                ?? config.notifiers.map { try NotifierFactory.make($0, client: httpClient.client, logger: logger) }
        } catch {
            try await httpClient.client.shutdown()
            try await cluster?.client.shutdown()
            throw error
        }
        return CoalmineRuntime(
            config: config, engine: engine, store: journal, router: trafficRouter, notifiers: channels,
            credentials: credentials, links: links, httpClient: httpClient, kubernetes: cluster?.client, registry: registry,
            clock: clock, createdSecrets: created, replica: replica)
    }

    /// The journal the config names: the SQLite file, or the PostgreSQL database with the password from its file.
    /// `readOnly`: as `coalmine audit` reads it, changing nothing (no migration, no record of where keys begin).
    public static func openJournal(
        _ settings: StoreSettings, auditKey: String?, readOnly: Bool = false, logger: Logger
    ) async throws -> any JournalStore {
        guard let postgres = settings.postgres else {
            return try SQLiteJournal(path: settings.sqlitePath, auditKey: auditKey, readOnly: readOnly)
        }
        let password = try postgres.passwordFile.map(SecretFile.read(at:))
        return try await PostgresJournal(
            settings: postgres, password: password, auditKey: auditKey, readOnly: readOnly, logger: logger)
    }
}
