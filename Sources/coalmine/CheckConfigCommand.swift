import CoalmineCore
import ArgumentParser
import CoalmineEngine

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
    }
}
