/// The whole of `config/coalmine.yaml`, with every default filled in and every rule checked.
public struct CoalmineConfig: Equatable, Sendable {
    public var server: ServerSettings
    public var store: StoreSettings
    public var kubernetes: KubernetesSettings
    public var notifiers: [NotifierSettings]
    public var defaults: RolloutPolicy
    public var rollouts: [RolloutSpec]

    public init(
        server: ServerSettings = ServerSettings(), store: StoreSettings = StoreSettings(),
        kubernetes: KubernetesSettings = KubernetesSettings(), notifiers: [NotifierSettings],
        defaults: RolloutPolicy = RolloutPolicy(), rollouts: [RolloutSpec]
    ) {
        self.server = server
        self.store = store
        self.kubernetes = kubernetes
        self.notifiers = notifiers
        self.defaults = defaults
        self.rollouts = rollouts
    }

    public func rollout(named name: String) -> RolloutSpec? {
        rollouts.first { $0.name == name }
    }
}

public struct ServerSettings: Equatable, Sendable {
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 9095
    /// The base of every link Coalmine puts in a message.
    public var publicURL: String = "http://127.0.0.1:9095"
    public var webhook = WebhookSettings()
    public var apiTokenFile: String = "data/api-token"
    public var actionSigningKeyFile: String = "data/action-key"

    public init() {}
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

    public init() {}
}

public struct KubernetesSettings: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable, CaseIterable {
        case dryRun = "dry-run"
        case kubeconfig
        case inCluster = "in-cluster"
    }
    public var mode: Mode = .dryRun

    public init() {}
}

public struct NotifierSettings: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case log
    }
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}
