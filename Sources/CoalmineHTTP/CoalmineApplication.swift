import CoalmineChat
import CoalmineEngine
import ServiceLifecycle
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus

/// Builds the HTTP application with its background services (the effect runner, the ticker, the drift watcher, the
/// store pruner).
/// `coalmine serve` runs it; tests call it too, so they exercise exactly what ships.
public func buildApplication(_ runtime: CoalmineRuntime, logger: Logger) -> some ApplicationProtocol {
    let router = Router(context: CoalmineRequestContext.self)
    let metricsFactory = PrometheusMetricsFactory(registry: runtime.registry)
    var forwardingClient: HTTPClientService?
    if let replica = runtime.replica {
        let client = HTTPClientService(client: LeaderForwarding.makeClient())
        forwardingClient = client
        router.add(
            middleware: LeaderForwarding(
                standing: replica, client: client.client, apiToken: runtime.credentials.apiToken,
                maxBodyBytes: max(runtime.config.server.webhook.maxBodyBytes, OperatorAPIRoutes.maxBodyBytes),
                timeout: .seconds(10)))
    }
    ClusterRoutes(journal: runtime.replica?.journal, replica: runtime.replica, credentials: runtime.credentials)
        .register(on: router)
    WebhookRoutes(
        engine: runtime.engine, credentials: runtime.credentials,
        maxBodyBytes: runtime.config.server.webhook.maxBodyBytes, metricsFactory: metricsFactory, clock: runtime.clock
    ).register(on: router)
    OperatorAPIRoutes(engine: runtime.engine, credentials: runtime.credentials).register(on: router)
    HealthRoutes(engine: runtime.engine, store: runtime.store, registry: runtime.registry, replica: runtime.replica)
        .register(on: router)
    let actions = runtime.config.server.actions
    var identity: TrustedIdentity?
    if let header = actions.identityHeader, let proxy = actions.trustedProxy {
        identity = TrustedIdentity(header: header, proxy: proxy, proxySecret: runtime.credentials.trustedProxySecret)
    }
    ActionLinkRoutes(engine: runtime.engine, signer: runtime.links.signer, identity: identity, clock: runtime.clock)
        .register(on: router)
    let chainStatus = ChainStatus()
    DashboardRoutes(
        engine: runtime.engine, credentials: runtime.credentials,
        sessions: DashboardSessions(
            signer: runtime.links.signer, secure: runtime.config.server.publicURL.hasPrefix("https://")),
        identity: identity, chainStatus: chainStatus, clock: runtime.clock
    ).register(on: router)

    let effects = EffectRunner(
        engine: runtime.engine, router: runtime.router, notifiers: runtime.notifiers, links: runtime.links,
        clock: runtime.clock, logger: logger, gate: runtime.replica)
    let ticker = RolloutTicker(engine: runtime.engine, clock: runtime.clock, logger: logger)
    let drift = DriftWatcher(
        engine: runtime.engine, router: runtime.router, interval: runtime.config.kubernetes.resyncEvery, logger: logger)
    // First in the list, so the last to stop: everything else may still commit while it shuts down.
    var services: [any Service] = [JournalStoreService(store: runtime.store), runtime.httpClient]
    if let forwardingClient { services.append(forwardingClient) }
    if let kubernetes = runtime.kubernetes { services.append(KubernetesClientService(client: kubernetes)) }
    let pruner = StorePruner(
        engine: runtime.engine, store: runtime.store, retention: runtime.config.store, clock: runtime.clock, logger: logger)
    let anchor = JournalAnchor(
        store: runtime.store, interval: runtime.config.store.auditAnchorEvery, metricsFactory: metricsFactory, logger: logger,
        chainStatus: chainStatus, clock: runtime.clock)
    let leaderOnly: [any Service] = [effects, ticker, drift, pruner, anchor]
    if let replica = runtime.replica {
        // Only the leader keeps the clock, runs effects, watches drift and prunes; the others answer requests by
        // forwarding them.
        services.append(
            ReplicaLeadership(
                standing: replica, engine: runtime.engine, lease: runtime.config.server.leaderLease,
                metricsFactory: metricsFactory, logger: logger,
                leaderWork: {
                    await withDiscardingTaskGroup { group in
                        for service in leaderOnly { group.addTask { try? await service.run() } }
                    }
                }))
    } else {
        services += leaderOnly
    }
    let server = runtime.config.server
    let timeouts = ConnectionTimeouts(
        idle: .init(server.idleTimeout), head: .init(server.headTimeout), body: .init(server.bodyTimeout))
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in TimedHTTP1Channel(responder: responder, timeouts: timeouts) },
        configuration: ApplicationConfiguration(
            address: .hostname(runtime.config.server.listenHost, port: runtime.config.server.listenPort),
            serverName: "coalmine"),
        // Shut down in reverse: the ticker, drift and effects stop before the clients they use.
        services: services,
        logger: logger)
}
