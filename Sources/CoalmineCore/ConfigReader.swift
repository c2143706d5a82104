/// Turns a parsed document into a `CoalmineConfig`, filling defaults and collecting every problem with its key
/// path, so `check-config` can list them all at once instead of one per run.
public struct ConfigReader {
    var problems: [ConfigProblem] = []

    public static func read(_ document: ConfigValue) -> Result<CoalmineConfig, ConfigProblems> {
        var reader = ConfigReader()
        let config = reader.readRoot(document)
        if let config, reader.problems.isEmpty { return .success(config) }
        return .failure(ConfigProblems(reader.problems))
    }

    private mutating func readRoot(_ document: ConfigValue) -> CoalmineConfig? {
        guard case .map(let entries) = document else {
            report("", "the config must be a mapping with at least a `rollouts:` list, found \(document.kindName)")
            return nil
        }
        var root = ConfigFields(path: "", entries: entries)
        let server = readServer(root.take("server"))
        let store = readStore(root.take("store"))
        let kubernetes = readKubernetes(root.take("kubernetes"))
        let notifiers = readNotifiers(root.take("notifiers"))
        let defaults = readDefaults(root.take("defaults"))
        let rollouts = readRollouts(root.take("rollouts"), defaults: defaults, notifiers: notifiers)
        let limits = readLimits(root.take("limits"))
        if store.postgres == nil {
            // One SQLite journal has one writer: there are no peers to name or reach.
            if server.replicaId != nil { report("server.replicaId", "applies only with store.postgres (several replicas)") }
            if server.advertiseURL != nil { report("server.advertiseURL", "applies only with store.postgres (several replicas)") }
        }
        finish(root)
        return CoalmineConfig(
            server: server, store: store, kubernetes: kubernetes, notifiers: notifiers, defaults: defaults,
            rollouts: rollouts, limits: limits
        )
    }

    private mutating func readLimits(_ value: ConfigValue?) -> AlertLimits {
        var limits = AlertLimits()
        guard var fields = mapping(value, at: "limits") else { return limits }
        if let bytes = int(fields.take("valueBytes"), at: fields.pathOf("valueBytes")) {
            // Room for the marker and some text before it: a limit below that would cut every value to nothing.
            if bytes >= 64 { limits.valueBytes = bytes } else { report(fields.pathOf("valueBytes"), "must be at least 64 bytes") }
        }
        if let count = int(fields.take("labelsPerAlert"), at: fields.pathOf("labelsPerAlert")) {
            if count >= 1 { limits.labelsPerAlert = count } else { report(fields.pathOf("labelsPerAlert"), "must be at least 1") }
        }
        if let count = int(fields.take("firingAlertsShown"), at: fields.pathOf("firingAlertsShown")) {
            if count >= 0 { limits.firingAlertsShown = count } else { report(fields.pathOf("firingAlertsShown"), "must be 0 or more") }
        }
        finish(fields)
        return limits
    }

    // MARK: server, store, kubernetes

    private mutating func readServer(_ value: ConfigValue?) -> ServerSettings {
        var settings = ServerSettings()
        guard var fields = mapping(value, at: "server") else { return settings }
        if let listen = string(fields.take("listen"), at: fields.pathOf("listen")) {
            if let (host, port) = Self.hostAndPort(listen) {
                settings.listenHost = host
                settings.listenPort = port
            } else {
                report(fields.pathOf("listen"), "expected host:port such as 127.0.0.1:9095, found '\(listen)'")
            }
        }
        if let url = string(fields.take("publicURL"), at: fields.pathOf("publicURL")) {
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                report(fields.pathOf("publicURL"), "must start with http:// or https://, found '\(url)'")
            }
        }
        settings.replicaId = string(fields.take("replicaId"), at: fields.pathOf("replicaId"), nullable: true)
        if let id = settings.replicaId, id.isEmpty || id.count > 253 || id.contains(where: { $0.isWhitespace || $0.isNewline }) {
            report(fields.pathOf("replicaId"), "must be 1 to 253 characters without spaces, found '\(id)'")
        }
        if let url = string(fields.take("advertiseURL"), at: fields.pathOf("advertiseURL"), nullable: true) {
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                settings.advertiseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                report(fields.pathOf("advertiseURL"), "must start with http:// or https://, found '\(url)'")
            }
        }
        if case .some(.some(let lease)) = duration(fields.take("leaderLease"), at: fields.pathOf("leaderLease")) {
            // Renewed every third of the lease: under three seconds a slow renewal would cost the lead.
            if lease >= .seconds(3) { settings.leaderLease = lease } else { report(fields.pathOf("leaderLease"), "must be at least 3s") }
        }
        for (key, keyPath) in [("idleTimeout", \ServerSettings.idleTimeout), ("headTimeout", \.headTimeout), ("bodyTimeout", \.bodyTimeout)] {
            guard case .some(.some(let timeout)) = duration(fields.take(key), at: fields.pathOf(key)) else { continue }
            if timeout > .zero { settings[keyPath: keyPath] = timeout } else { report(fields.pathOf(key), "must be longer than zero") }
        }
        if var webhook = mapping(fields.take("webhook"), at: fields.pathOf("webhook")) {
            if let auth = readWebhookAuth(webhook.take("auth"), at: webhook.pathOf("auth")) {
                settings.webhook.auth = auth
            }
            if let limit = int(webhook.take("maxBodyBytes"), at: webhook.pathOf("maxBodyBytes")) {
                if limit > 0 {
                    settings.webhook.maxBodyBytes = limit
                } else {
                    report(webhook.pathOf("maxBodyBytes"), "must be a positive number of bytes")
                }
            }
            if var grafana = mapping(webhook.take("grafana"), at: webhook.pathOf("grafana")) {
                settings.webhook.grafanaSignatureSecretFile = string(
                    grafana.take("signatureSecretFile"), at: grafana.pathOf("signatureSecretFile"), nullable: true)
                settings.webhook.grafanaTimestampHeader = string(
                    grafana.take("timestampHeader"), at: grafana.pathOf("timestampHeader"), nullable: true)
                finish(grafana)
            }
            finish(webhook)
        }
        if var api = mapping(fields.take("api"), at: fields.pathOf("api")) {
            if let file = string(api.take("tokenFile"), at: api.pathOf("tokenFile")) { settings.apiTokenFile = file }
            finish(api)
        }
        if var actions = mapping(fields.take("actions"), at: fields.pathOf("actions")) {
            if let file = string(actions.take("signingKeyFile"), at: actions.pathOf("signingKeyFile")) {
                settings.actions.signingKeyFile = file
            }
            if let files = list(actions.take("previousKeyFiles"), at: actions.pathOf("previousKeyFiles")) {
                settings.actions.previousKeyFiles = files.enumerated().compactMap { index, item in
                    string(item, at: "\(actions.pathOf("previousKeyFiles"))[\(index)]")
                }
            }
            if case .some(.some(let ttl)) = duration(actions.take("linkTTL"), at: actions.pathOf("linkTTL")) {
                settings.actions.linkTTL = ttl
            }
            settings.actions.identityHeader = string(
                actions.take("identityHeader"), at: actions.pathOf("identityHeader"), nullable: true)
            let proxy = actions.take("trustedProxy")
            settings.actions.trustedProxy = readTrustedProxy(proxy, at: actions.pathOf("trustedProxy"))
            if settings.actions.identityHeader != nil, proxy == nil || proxy == .some(.null) {
                report(
                    actions.pathOf("trustedProxy"),
                    "required with identityHeader, which any client can send: { secretHeader, secretFile } (the proxy"
                        + " adds a shared secret) or { cidrs: [...] } (the proxies' addresses)")
            }
            finish(actions)
        }
        finish(fields)
        return settings
    }

    private mutating func readTrustedProxy(_ value: ConfigValue?, at path: String) -> TrustedProxy? {
        if value == .some(.null) { return nil }
        guard var fields = mapping(value, at: path) else { return nil }
        defer { finish(fields) }
        switch (fields.has("secretHeader") || fields.has("secretFile"), fields.has("cidrs")) {
        case (true, false):
            let header = requiredString(fields.take("secretHeader"), at: fields.pathOf("secretHeader"))
            let file = requiredString(fields.take("secretFile"), at: fields.pathOf("secretFile"))
            if let header, !Self.isHeaderName(header) {
                report(fields.pathOf("secretHeader"), "'\(header)' is not an HTTP header name")
                return nil
            }
            guard let header, let file else { return nil }
            return .secretHeader(header: header, secretFile: file)
        case (false, true):
            let cidrsPath = fields.pathOf("cidrs")
            guard let items = list(fields.take("cidrs"), at: cidrsPath) else { return nil }
            guard !items.isEmpty else {
                report(cidrsPath, "must list at least one address block such as 10.0.0.0/8")
                return nil
            }
            var blocks: [CIDRBlock] = []
            for (index, item) in items.enumerated() {
                guard let text = string(item, at: "\(cidrsPath)[\(index)]") else { continue }
                if let block = CIDRBlock(text) {
                    blocks.append(block)
                } else {
                    report("\(cidrsPath)[\(index)]", "'\(text)' is not an address block such as 10.0.0.0/8 or fd00::/8")
                }
            }
            return blocks.count == items.count ? .cidrs(blocks) : nil
        default:
            report(path, "set exactly one of { secretHeader, secretFile } and { cidrs }")
            for key in ["secretHeader", "secretFile", "cidrs"] { _ = fields.take(key) }
            return nil
        }
    }

    /// RFC 9110's token characters.
    static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
        }
    }

    private mutating func readWebhookAuth(_ value: ConfigValue?, at path: String) -> WebhookAuth? {
        guard var fields = mapping(value, at: path) else { return nil }
        defer { finish(fields) }
        switch (fields.has("bearerTokenFile"), fields.has("basic")) {
        case (true, false):
            return string(fields.take("bearerTokenFile"), at: fields.pathOf("bearerTokenFile"))
                .map { .bearer(tokenFile: $0) }
        case (false, true):
            guard var basic = mapping(fields.take("basic"), at: fields.pathOf("basic")) else { return nil }
            defer { finish(basic) }
            let username = requiredString(basic.take("username"), at: basic.pathOf("username"))
            let passwordFile = requiredString(basic.take("passwordFile"), at: basic.pathOf("passwordFile"))
            guard let username, let passwordFile else { return nil }
            return .basic(username: username, passwordFile: passwordFile)
        case (true, true):
            _ = fields.take("bearerTokenFile")
            _ = fields.take("basic")
            report(path, "set either bearerTokenFile or basic, not both")
            return nil
        case (false, false):
            report(path, "set bearerTokenFile or basic: { username, passwordFile }")
            return nil
        }
    }

    private mutating func readStore(_ value: ConfigValue?) -> StoreSettings {
        var settings = StoreSettings()
        guard var fields = mapping(value, at: "store") else { return settings }
        if fields.has("sqlite") && fields.has("postgres") {
            report(fields.pathOf("postgres"), "set either store.sqlite or store.postgres, not both")
        }
        if var sqlite = mapping(fields.take("sqlite"), at: fields.pathOf("sqlite")) {
            if let path = string(sqlite.take("path"), at: sqlite.pathOf("path")) { settings.sqlitePath = path }
            finish(sqlite)
        }
        if var postgres = mapping(fields.take("postgres"), at: fields.pathOf("postgres")) {
            settings.postgres = readPostgres(&postgres)
            finish(postgres)
        }
        if var retention = mapping(fields.take("retention"), at: fields.pathOf("retention")) {
            if case .some(.some(let outbox)) = duration(retention.take("outbox"), at: retention.pathOf("outbox")) {
                settings.outboxRetention = outbox
            }
            if case .some(.some(let deliveries)) = duration(retention.take("deliveries"), at: retention.pathOf("deliveries")) {
                settings.deliveryRetention = deliveries
            }
            finish(retention)
        }
        if var audit = mapping(fields.take("audit"), at: fields.pathOf("audit")) {
            if let file = string(audit.take("keyFile"), at: audit.pathOf("keyFile")) { settings.auditKeyFile = file }
            if case .some(.some(let every)) = duration(audit.take("anchorEvery"), at: audit.pathOf("anchorEvery")) {
                if every > .zero { settings.auditAnchorEvery = every } else { report(audit.pathOf("anchorEvery"), "must be longer than zero") }
            }
            finish(audit)
        }
        finish(fields)
        return settings
    }

    private mutating func readPostgres(_ fields: inout ConfigFields) -> PostgresStoreSettings? {
        let passwordFile = string(fields.take("passwordFile"), at: fields.pathOf("passwordFile"), nullable: true)
        let caFile = string(fields.take("caFile"), at: fields.pathOf("caFile"), nullable: true)
        var pool: Int?
        if let size = int(fields.take("pool"), at: fields.pathOf("pool")) {
            if size >= 1 { pool = size } else { report(fields.pathOf("pool"), "must be at least 1") }
        }
        let urlPath = fields.pathOf("url")
        guard fields.has("url") else {
            report(urlPath, "is required: postgres://user@host:5432/database?sslmode=verify-full")
            return nil
        }
        guard let url = string(fields.take("url"), at: urlPath) else { return nil }
        var settings: PostgresStoreSettings
        switch PostgresStoreSettings.parse(url: url) {
        case .success(let parsed): settings = parsed
        case .failure(let problem):
            report(urlPath, problem.description)
            return nil
        }
        settings.passwordFile = passwordFile
        settings.caFile = caFile
        if caFile != nil && settings.sslMode != .verifyFull {
            report(fields.pathOf("caFile"), "is read only with sslmode=verify-full, not \(settings.sslMode.rawValue)")
        }
        if let pool { settings.pool = pool }
        return settings
    }

    private mutating func readKubernetes(_ value: ConfigValue?) -> KubernetesSettings {
        var settings = KubernetesSettings()
        guard var fields = mapping(value, at: "kubernetes") else { return settings }
        if let mode = string(fields.take("mode"), at: fields.pathOf("mode")) {
            if let chosen = KubernetesSettings.Mode(rawValue: mode) {
                settings.mode = chosen
            } else {
                report(fields.pathOf("mode"), "expected one of dry-run, kubeconfig, in-cluster, found '\(mode)'")
            }
        }
        settings.kubeconfig = string(fields.take("kubeconfig"), at: fields.pathOf("kubeconfig"), nullable: true)
        settings.context = string(fields.take("context"), at: fields.pathOf("context"), nullable: true)
        if settings.mode != .kubeconfig {
            if settings.kubeconfig != nil { report(fields.pathOf("kubeconfig"), "applies only to mode: kubeconfig") }
            if settings.context != nil { report(fields.pathOf("context"), "applies only to mode: kubeconfig") }
        }
        if let version = string(fields.take("istioAPIVersion"), at: fields.pathOf("istioAPIVersion")) {
            if ["v1", "v1beta1"].contains(version) {
                settings.istioAPIVersion = version
            } else {
                report(fields.pathOf("istioAPIVersion"), "expected v1 or v1beta1, found '\(version)'")
            }
        }
        if case .some(.some(let every)) = duration(fields.take("resyncEvery"), at: fields.pathOf("resyncEvery")) {
            settings.resyncEvery = every
        }
        if case .some(.some(let timeout)) = duration(fields.take("requestTimeout"), at: fields.pathOf("requestTimeout")) {
            settings.requestTimeout = timeout
        }
        finish(fields)
        return settings
    }

    private mutating func readNotifiers(_ value: ConfigValue?) -> [NotifierSettings] {
        guard let value else { return [NotifierSettings(name: "console", kind: .log)] }
        guard let items = list(value, at: "notifiers") else { return [] }
        var notifiers: [NotifierSettings] = []
        for (index, item) in items.enumerated() {
            let path = "notifiers[\(index)]"
            guard var fields = mapping(item, at: path) else { continue }
            let name = requiredString(fields.take("name"), at: fields.pathOf("name"))
            let type = requiredString(fields.take("type"), at: fields.pathOf("type"))
            let urlFile = string(fields.take("urlFile"), at: fields.pathOf("urlFile"))
            let urlEnv = string(fields.take("urlEnv"), at: fields.pathOf("urlEnv"))
            let secretFile = string(fields.take("secretFile"), at: fields.pathOf("secretFile"), nullable: true)
            let timeout = duration(fields.take("timeout"), at: fields.pathOf("timeout")) ?? nil
            let giveUpAfter = duration(fields.take("giveUpAfter"), at: fields.pathOf("giveUpAfter")) ?? nil
            let showLinks = bool(fields.take("showLinks"), at: fields.pathOf("showLinks"))
            finish(fields)
            guard let name, let type else { continue }
            guard let kind = NotifierSettings.Kind(rawValue: type) else {
                let known = NotifierSettings.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                report(fields.pathOf("type"), "unknown notifier type '\(type)'; one of: \(known)")
                continue
            }
            if notifiers.contains(where: { $0.name == name }) {
                report(fields.pathOf("name"), "notifier name '\(name)' is used twice")
                continue
            }
            var url: NotifierSettings.URLSource?
            switch (urlFile, urlEnv, kind) {
            case (nil, nil, .log): url = nil
            case (_, _, .log): report(path, "a log notifier takes no urlFile or urlEnv")
            case (let file?, nil, _): url = .file(file)
            case (nil, let variable?, _): url = .environment(variable)
            case (nil, nil, _):
                report(path, "a \(type) notifier needs urlFile or urlEnv (the webhook URL is a secret: never inline)")
            case (_?, _?, _): report(path, "set either urlFile or urlEnv, not both")
            }
            if secretFile != nil, !kind.signs {
                report(fields.pathOf("secretFile"), "\(type) messages are not signed; only feishu, lark, dingtalk and webhook take a secret")
            }
            if showLinks != nil, kind != .log {
                report(fields.pathOf("showLinks"), "only a log notifier takes showLinks; chat messages always carry their links")
            }
            var settings = NotifierSettings(name: name, kind: kind, url: url, secretFile: secretFile)
            settings.showLinks = showLinks ?? false
            if let timeout { settings.timeout = timeout }
            if let giveUpAfter { settings.giveUpAfter = giveUpAfter }
            notifiers.append(settings)
        }
        return notifiers
    }

    // MARK: problems and scalar readers

    mutating func report(_ path: String, _ message: String) {
        problems.append(ConfigProblem(path: path, message: message))
    }

    /// Reports every key of `fields` that nothing read, and keys written twice.
    mutating func finish(_ fields: ConfigFields) {
        for key in fields.unreadKeys { report(fields.pathOf(key), "unknown key") }
        for key in fields.duplicateKeys { report(fields.pathOf(key), "key appears more than once") }
    }

    /// The fields of a mapping; nil when absent or null (nothing to read) or not a mapping (reported).
    mutating func mapping(_ value: ConfigValue?, at path: String) -> ConfigFields? {
        switch value {
        case nil, .null?: return nil
        case .map(let entries)?: return ConfigFields(path: path, entries: entries)
        case let other?:
            report(path, "expected a mapping, found \(other.kindName)")
            return nil
        }
    }

    mutating func list(_ value: ConfigValue?, at path: String) -> [ConfigValue]? {
        switch value {
        case nil, .null?: return nil
        case .list(let items)?: return items
        case let other?:
            report(path, "expected a list, found \(other.kindName)")
            return nil
        }
    }

    mutating func string(_ value: ConfigValue?, at path: String, nullable: Bool = false) -> String? {
        switch value {
        case nil: return nil
        case .null?:
            if !nullable { report(path, "must not be null") }
            return nil
        case .string(let text)?:
            if text.isEmpty { report(path, "must not be empty") }
            return text.isEmpty ? nil : text
        case let other?:
            report(path, "expected a string, found \(other.kindName)")
            return nil
        }
    }

    mutating func requiredString(_ value: ConfigValue?, at path: String) -> String? {
        if value == nil {
            report(path, "is required")
            return nil
        }
        return string(value, at: path)
    }

    mutating func bool(_ value: ConfigValue?, at path: String) -> Bool? {
        switch value {
        case nil: return nil
        case .bool(let flag)?: return flag
        case let other?:
            report(path, "expected true or false, found \(other.kindName)")
            return nil
        }
    }

    mutating func int(_ value: ConfigValue?, at path: String) -> Int? {
        switch value {
        case nil: return nil
        case .int(let number)?: return number
        case let other?:
            report(path, "expected an integer, found \(other.kindName)")
            return nil
        }
    }

    mutating func double(_ value: ConfigValue?, at path: String) -> Double? {
        switch value {
        case nil: return nil
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        case let other?:
            report(path, "expected a number, found \(other.kindName)")
            return nil
        }
    }

    static let longestDuration = Duration.seconds(36_500 * 86_400)

    /// A positive duration such as `5m`; `.some(nil)` for an explicit null when `nullable`.
    mutating func duration(_ value: ConfigValue?, at path: String, nullable: Bool = false) -> Duration?? {
        switch value {
        case nil: return nil
        case .null? where nullable: return .some(nil)
        case .string(let text)?:
            guard let duration = DurationText.parse(text) else {
                report(path, "expected a duration such as 30s, 5m, 24h or 2d, found '\(text)'")
                return nil
            }
            guard duration > .zero else {
                report(path, "must be longer than zero")
                return nil
            }
            // Times are added to the clock in milliseconds: a century keeps every sum far inside Int64.
            guard duration <= Self.longestDuration else {
                report(path, "must be at most \(DurationText.format(Self.longestDuration)), found '\(text)'")
                return nil
            }
            return .some(duration)
        case let other?:
            report(path, "expected a duration such as 30s, 5m, 24h or 2d, found \(other.kindName)")
            return nil
        }
    }

    mutating func stringMap(_ value: ConfigValue?, at path: String) -> [String: String]? {
        guard let fields = mapping(value, at: path) else { return nil }
        guard case .map(let entries)? = value else { return nil }
        var result: [String: String] = [:]
        for entry in entries {
            switch entry.value {
            case .string(let text): result[entry.key] = text
            case .int(let number): result[entry.key] = String(number)
            case .bool(let flag): result[entry.key] = String(flag)
            default: report(fields.pathOf(entry.key), "expected a label value, found \(entry.value.kindName)")
            }
        }
        for key in fields.duplicateKeys { report(fields.pathOf(key), "key appears more than once") }
        return result
    }

    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        return (host, port)
    }
}
