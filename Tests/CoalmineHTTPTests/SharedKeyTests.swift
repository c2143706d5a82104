import CoalmineChat
import CoalmineCore
import CoalmineEngine
import CoalmineHTTP
import CoalmineJournal
import CoalmineTestSupport
import Foundation
import Logging
import Testing

/// Every process that writes one journal must hold the same audit key and link signing key. Replicas used to make
/// up their own and wrote a chain `audit verify` called broken, and links the next leader could not verify.
@Suite struct SharedKeyTests {
    /// Starts a runtime on `scratch` with the secrets in `workspace`, as `serve` would, and closes it again.
    static func start(
        _ workspace: TestWorkspace, on scratch: ScratchStore, previousKeyFiles: [String] = []
    ) async throws {
        let directory = workspace.directory
        let previous = previousKeyFiles.map { "\"\(directory)/\($0)\"" }.joined(separator: ", ")
        let config = try workspace.config(
            actions: "{ signingKeyFile: \"\(directory)/action-key\", previousKeyFiles: [\(previous)] }",
            store: scratch.storeYAML(auditKeyFile: "\(directory)/audit-key"))
        let runtime = try await CoalmineRuntime.make(
            config: config, logger: Logger(label: "test"), router: DryRunRouter(logger: Logger(label: "test")),
            notifiers: [])
        await runtime.store.close()
        try await runtime.httpClient.client.shutdown()
    }

    static func write(_ secret: String, to name: String, in workspace: TestWorkspace) throws {
        try (secret + "\n").write(toFile: "\(workspace.directory)/\(name)", atomically: true, encoding: .utf8)
    }

    static func writeAll(_ workspace: TestWorkspace) throws {
        for name in ["webhook-token", "api-token", "action-key", "audit-key"] {
            try write("shared-\(name)", to: name, in: workspace)
        }
    }

    @Test(.enabled(if: ScratchPostgres.isAvailable)) func aReplicaOnPostgresMakesUpNoSecret() async throws {
        try await ScratchStore.with(.postgres) { scratch in
            let workspace = try TestWorkspace()
            let refused = await #expect(throws: SecretFile.Failure.self) {
                try await Self.start(workspace, on: scratch)
            }
            let message = refused?.description ?? ""
            #expect(message.contains("server.webhook.auth.bearerTokenFile"), "\(message)")
            #expect(message.contains("\(workspace.directory)/webhook-token"), "\(message)")
            #expect(message.contains("never make them up"), "\(message)")
            let files = try FileManager.default.contentsOfDirectory(atPath: workspace.directory)
            #expect(files.isEmpty, "no secret was written: \(files)")

            // Each missing one is named in turn, the audit key too.
            for (name, key) in [
                ("webhook-token", "server.api.tokenFile"), ("api-token", "server.actions.signingKeyFile"),
                ("action-key", "store.audit.keyFile"),
            ] {
                try Self.write("shared-\(name)", to: name, in: workspace)
                let next = await #expect(throws: SecretFile.Failure.self) { try await Self.start(workspace, on: scratch) }
                #expect(next?.description.hasPrefix(key) == true, "\(next?.description ?? "")")
            }
            try Self.write("shared-audit-key", to: "audit-key", in: workspace)
            try await Self.start(workspace, on: scratch)
        }
    }

    @Test(arguments: StoreKind.available) func aProcessWithAnotherAuditKeyRefusesToStartAndWritesNothing(
        kind: StoreKind
    ) async throws {
        try await ScratchStore.with(kind) { scratch in
            let workspace = try TestWorkspace()
            try Self.writeAll(workspace)
            try await Self.start(workspace, on: scratch)
            let journal = try await scratch.open(auditKey: "shared-audit-key")
            let before = try await journal.head()

            try Self.write("a-key-of-its-own", to: "audit-key", in: workspace)
            let refused = await #expect(throws: SharedKeyDiffers.self) { try await Self.start(workspace, on: scratch) }
            #expect(refused?.key == .audit)
            #expect(refused?.given == KeyID.of("a-key-of-its-own"))
            #expect(refused?.recorded == KeyID.of("shared-audit-key"))
            #expect(refused?.description.contains("the audit key differs from the journal's") == true)
            #expect(try await journal.head() == before, "nothing was written with the other key")
            #expect(try await journal.verifyChain() == .intact(entries: Int(before?.sequence ?? 0)))

            // An audit with the other key says so, instead of calling the chain broken.
            let audit = await #expect(throws: SharedKeyDiffers.self) {
                _ = try await scratch.open(auditKey: "a-key-of-its-own", readOnly: true)
            }
            #expect(audit?.key == .audit)
        }
    }

    @Test(arguments: StoreKind.available) func aProcessWithAnotherSigningKeyRefusesToStartUnlessItRotates(
        kind: StoreKind
    ) async throws {
        try await ScratchStore.with(kind) { scratch in
            let workspace = try TestWorkspace()
            try Self.writeAll(workspace)
            try await Self.start(workspace, on: scratch)

            try Self.write("a-link-key-of-its-own", to: "action-key", in: workspace)
            let refused = await #expect(throws: SharedKeyDiffers.self) { try await Self.start(workspace, on: scratch) }
            #expect(refused?.key == .linkSigning)
            #expect(refused?.description.contains("server.actions.previousKeyFiles") == true)

            // A rotation: the key on record is now a previous key, so links it signed still verify here.
            try Self.write("shared-action-key", to: "old-action-key", in: workspace)
            try await Self.start(workspace, on: scratch, previousKeyFiles: ["old-action-key"])
            try await Self.start(workspace, on: scratch)

            // After it, a replica still holding the old key as its current one is refused.
            try Self.write("shared-action-key", to: "action-key", in: workspace)
            let stale = await #expect(throws: SharedKeyDiffers.self) { try await Self.start(workspace, on: scratch) }
            #expect(stale?.recorded == KeyID.of("a-link-key-of-its-own"))
        }
    }

    /// Replicas started together on one volume raced check-then-create and each kept a secret of its own.
    @Test func processesCreatingOneSecretAtOnceAllGetTheSame() async throws {
        let workspace = try TestWorkspace()
        for round in 0..<20 {
            let path = "\(workspace.directory)/round-\(round)/action-key"
            let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for _ in 0..<8 {
                    group.addTask { try SecretFile.readOrCreate(at: path) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.0)).count == 1, "round \(round): every process holds the one secret on disk")
            #expect(results.filter(\.1).count == 1, "round \(round): exactly one made it")
            #expect(try SecretFile.read(at: path) == results[0].0)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(workspace.directory)/round-\(round)")
            #expect(leftovers == ["action-key"], "no draft is left behind: \(leftovers)")
        }
    }
}
