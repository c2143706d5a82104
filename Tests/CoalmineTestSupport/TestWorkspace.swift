import CoalmineChat
import CoalmineCore
import CoalmineEngine
import Foundation

/// A temporary folder holding a config, its secrets and its journal; removed when the test is done.
public final class TestWorkspace: Sendable {
    public let directory: String

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coalmine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var journalPath: String { "\(directory)/coalmine.db" }

    /// The example rollout with test-sized times. `rolloutExtra` is YAML added under the rollout (indented by
    /// four spaces), `webhookExtra` under `server.webhook` (by four), `webhookAuth` replaces the bearer token.
    /// `actions` replaces the `server.actions` mapping (flow YAML); `notifiers` replaces the list of notifiers (flow
    /// YAML, one per line, indented by two); `serverExtra` goes under `server` (indented by two); `store` replaces
    /// the `store:` mapping (flow YAML, e.g. `ScratchStore.storeYAML`).
    public func config(
        rolloutExtra extra: String = "", webhookAuth: String? = nil, webhookExtra: String = "", actions: String? = nil,
        notifiers: String = "  - { name: console, type: log }", serverExtra: String = "", store: String? = nil
    ) throws -> CoalmineConfig {
        try ConfigLoader.parse(
            """
            server:
              listen: "127.0.0.1:0"
              webhook:
                auth: \(webhookAuth ?? "{ bearerTokenFile: \"\(directory)/webhook-token\" }")
                maxBodyBytes: 65536
            \(webhookExtra)
              api: { tokenFile: "\(directory)/api-token" }
              actions: \(actions ?? "{ signingKeyFile: \"\(directory)/action-key\" }")
            \(serverExtra)
            store: \(store ?? "{ sqlite: { path: \"\(journalPath)\" } }")
            notifiers:
            \(notifiers)
            defaults:
              bake: 1h
            rollouts:
              - name: tf-model-service
                namespace: ml
                virtualService: tf-model-route
                stableSubset: v1
                canarySubset: v2
                alerts:
                  matchLabels: { service: tf-model-service }
                  roles:
                    - { match: { alertname: TFServingOpKernelMissing }, role: abort }
            \(extra)
            """)
    }

    public func secret(_ name: String) throws -> String {
        try SecretFile.read(at: "\(directory)/\(name)")
    }
}
