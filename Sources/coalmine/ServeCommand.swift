import CoalmineCore
import ArgumentParser
import CoalmineEngine
import CoalmineHTTP
import Hummingbird

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run Coalmine: webhooks, operator API, effects and the rollout clock.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load(refusing: "not starting")
        let logger = makeLogger("coalmine")
        let runtime = try await CoalmineRuntime.make(config: config, logger: logger)
        for secret in runtime.createdSecrets {
            print("coalmine: generated secret \(secret) (mode 0600)")
        }
        print(
            "coalmine: config \(options.path), journal \(config.store.location), router \(config.kubernetes.mode.rawValue),"
                + " listening on \(config.server.listenHost):\(config.server.listenPort)")
        if let replica = runtime.replica {
            print(
                "coalmine: replica \(replica.replica), reached by peers at \(replica.advertiseURL);"
                    + " leader lease \(config.server.leaderLease)")
        }
        let app = buildApplication(runtime, logger: logger)
        try await app.runService()
    }
}
