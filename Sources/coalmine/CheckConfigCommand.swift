import CoalmineCore
import ArgumentParser
import CoalmineEngine
import CoalmineKubernetes

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a config file and print every problem with its key path.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let path = options.path
        do {
            let config = try ConfigLoader.load(path: path)
            print("\(path): OK")
            for rollout in config.rollouts {
                let steps = rollout.policy.steps.map(String.init).joined(separator: " → ")
                print(
                    "  rollout \(rollout.name): \(rollout.objectKind) \(rollout.namespace)/\(rollout.object)"
                        + " \(rollout.stable)→\(rollout.canary), steps \(steps),"
                        + " bake \(DurationText.format(rollout.policy.bake)),"
                        + " notify \(rollout.notify.joined(separator: ", "))")
            }
        } catch {
            print("\(path): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
            for problem in error.problems { print("  \(problem)") }
            throw ExitCode(1)
        }
        try await checkCluster(try ConfigLoader.load(path: path))
    }

    /// In a cluster mode, reads (never writes) each rollout's object and reports what it found.
    private func checkCluster(_ config: CoalmineConfig) async throws {
        let logger = makeLogger("coalmine")
        let connection: ClusterConnection?
        do {
            connection = try ClusterConnection.make(config.kubernetes, withheldVariables: config.secretVariables, logger: logger)
        } catch {
            print("kubernetes (\(config.kubernetes.mode.rawValue)): \(error)")
            throw ExitCode(1)
        }
        guard let connection else { return }
        var failed = false
        for rollout in config.rollouts {
            do {
                print("  cluster: rollout \(rollout.name): \(try await connection.router.inspect(rollout))")
            } catch {
                failed = true
                print("  cluster: rollout \(rollout.name): \(error)")
            }
        }
        try await connection.client.shutdown()
        if failed { throw ExitCode(1) }
    }
}
