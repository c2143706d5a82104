/// The whole of `config/coalmine.yaml`, with every default filled in and every rule checked.
public struct CoalmineConfig: Equatable, Sendable {
    public var server: ServerSettings
    public var store: StoreSettings
    public var kubernetes: KubernetesSettings
    public var notifiers: [NotifierSettings]
    public var defaults: RolloutPolicy
    public var rollouts: [RolloutSpec] {
        didSet { rolloutPositions = Self.positions(of: rollouts) }
    }
    public var limits: AlertLimits
    /// Where each rollout is in `rollouts`, by name: every event looks its rollout up.
    private var rolloutPositions: [String: Int]

    public init(
        server: ServerSettings = ServerSettings(), store: StoreSettings = StoreSettings(),
        kubernetes: KubernetesSettings = KubernetesSettings(), notifiers: [NotifierSettings],
        defaults: RolloutPolicy = RolloutPolicy(), rollouts: [RolloutSpec], limits: AlertLimits = AlertLimits()
    ) {
        self.server = server
        self.store = store
        self.kubernetes = kubernetes
        self.notifiers = notifiers
        self.defaults = defaults
        self.rollouts = rollouts
        self.limits = limits
        self.rolloutPositions = Self.positions(of: rollouts)
    }

    public func rollout(named name: String) -> RolloutSpec? {
        rolloutPositions[name].map { rollouts[$0] }
    }

    private static func positions(of rollouts: [RolloutSpec]) -> [String: Int] {
        // Names are unique in a config that loaded; the first wins in one built by hand.
        Dictionary(rollouts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The environment variables that hold Coalmine's own secrets (chat webhook URLs named by `urlEnv`): no child
    /// process is given them.
    public var secretVariables: Set<String> {
        Set(notifiers.compactMap { if case .environment(let variable)? = $0.url { variable } else { nil } })
    }
}

public struct ServerSettings: Equatable, Sendable {
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 9095
    /// The base of every link Coalmine puts in a message.
    public var publicURL: String = "http://127.0.0.1:9095"
    public var webhook = WebhookSettings()
    public var apiTokenFile: String = "data/api-token"
    public var actions = ActionLinkSettings()
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// A request's head (request line and headers) must arrive within this long of its first byte.
    public var headTimeout: Duration = .seconds(10)
    /// A request's body must arrive within this long of its head.
    public var bodyTimeout: Duration = .seconds(30)
    /// With `store.postgres`: this replica's name among its peers; nil means the host name (a pod's name).
    public var replicaId: String?
    /// With `store.postgres`: how peers reach this replica to forward requests to it when it leads; nil means
    /// `http://<the address the host name resolves to>:<listen port>` (a pod's IP in Kubernetes).
    public var advertiseURL: String?
    /// With `store.postgres`: how long a leader's lease lasts unless renewed (renewed every third of it).
    public var leaderLease: Duration = .seconds(15)

    public init() {}
}

/// `server.actions`: the signed one-click links in chat messages.
public struct ActionLinkSettings: Equatable, Sendable {
    public var signingKeyFile: String = "data/action-key"
    /// Keys retired from signing that still verify the links they signed until those expire.
    public var previousKeyFiles: [String] = []
    public var linkTTL: Duration = .seconds(12 * 3600)
    /// A header an auth proxy sets to the user's identity (e.g. `X-Forwarded-Email`); when set, a POST without it
    /// is refused and the journal records its value as the actor.
    public var identityHeader: String?
    /// How a request proves it came through that proxy; required with `identityHeader`, which anyone could send.
    public var trustedProxy: TrustedProxy?

    public init() {}
}

/// `server.actions.trustedProxy`: what makes the identity header believable.
public enum TrustedProxy: Equatable, Sendable {
    /// The proxy adds `header` with the secret in `secretFile`.
    case secretHeader(header: String, secretFile: String)
    /// The peer's address is in one of these blocks (the proxies' own addresses).
    case cidrs([CIDRBlock])
}

public struct WebhookSettings: Equatable, Sendable {
    public var auth: WebhookAuth = .bearer(tokenFile: "data/webhook-token")
    public var maxBodyBytes: Int = 4_194_304
    /// Secret for Grafana's `X-Grafana-Alerting-Signature`; nil skips the check.
    public var grafanaSignatureSecretFile: String?
    /// The header carrying the timestamp Grafana signs with the body, when Grafana is set to send one.
    public var grafanaTimestampHeader: String?

    public init() {}
}

public enum WebhookAuth: Equatable, Sendable {
    case bearer(tokenFile: String)
    case basic(username: String, passwordFile: String)
}

public struct StoreSettings: Equatable, Sendable {
    public var sqlitePath: String = "data/coalmine.db"
    /// When set, the journal lives in PostgreSQL instead of `sqlitePath`.
    public var postgres: PostgresStoreSettings?

    /// Where the journal is, for messages: the SQLite file, or the PostgreSQL URL (which carries no password).
    public var location: String {
        guard let postgres else { return sqlitePath }
        return "postgres://\(postgres.user)@\(postgres.host):\(postgres.port)/\(postgres.database)"
    }
    /// How long settled outbox rows are kept; the journal keeps their record for good.
    public var outboxRetention: Duration = .seconds(7 * 24 * 3600)
    /// How long an alert delivery is remembered to recognise its repeats; a still-firing alert's always is.
    public var deliveryRetention: Duration = .seconds(7 * 24 * 3600)
    /// The key the journal's hash chain is made with, kept outside the database (generated on first start).
    public var auditKeyFile: String = "data/audit-key"
    /// How often the journal's newest entry is logged and exported as an anchor to check it against later.
    public var auditAnchorEvery: Duration = .seconds(3600)

    public init() {}
}

public struct KubernetesSettings: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable, CaseIterable {
        case dryRun = "dry-run"
        case kubeconfig
        case inCluster = "in-cluster"
    }
    public var mode: Mode = .dryRun
    /// kubeconfig mode: the file(s) to read; nil means `$KUBECONFIG`, else `~/.kube/config`.
    public var kubeconfig: String?
    /// kubeconfig mode: the context to use; nil means the file's `current-context`.
    public var context: String?
    /// `v1` (Istio 1.22 and later) or `v1beta1`; a 404 on `v1` falls back to `v1beta1`.
    public var istioAPIVersion: String = "v1"
    /// How often each active rollout's weights are read back to find drift.
    public var resyncEvery: Duration = .seconds(30)
    /// The longest any one API call may take.
    public var requestTimeout: Duration = .seconds(10)

    public init() {}
}

public struct NotifierSettings: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case log
        case slack
        case msteams
        case feishu
        case lark
        case dingtalk
        case wecom
        case discord
        case googlechat
        case webhook

        /// Whether the provider can sign its messages with a shared secret (`secretFile`).
        public var signs: Bool { [.feishu, .lark, .dingtalk, .webhook].contains(self) }
    }

    /// Where a webhook URL comes from: it is itself a credential, so never inline.
    public enum URLSource: Equatable, Sendable {
        case file(String)
        case environment(String)
    }

    public var name: String
    public var kind: Kind
    public var url: URLSource?
    public var secretFile: String?
    /// One deadline for a whole delivery: connecting, the answer's head and its body.
    public var timeout: Duration
    /// How long a notice is retried before it is journaled as failed for good.
    public var giveUpAfter: Duration
    /// For the log notifier: whether it prints the signed action links. Anyone who can read the process log could
    /// act with them, so only where that is the user alone (the local default config).
    public var showLinks = false

    public init(
        name: String, kind: Kind, url: URLSource? = nil, secretFile: String? = nil, timeout: Duration = .seconds(10),
        giveUpAfter: Duration = .seconds(24 * 3600)
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.secretFile = secretFile
        self.timeout = timeout
        self.giveUpAfter = giveUpAfter
    }
}
