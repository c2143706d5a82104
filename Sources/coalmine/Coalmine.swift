import ArgumentParser
import CoalmineCore
import CoalmineEngine
import Logging

@main
struct Coalmine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coalmine",
        abstract: "Canary releases that react to your alerts and keep a human in the loop.",
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, StatusCommand.self, HistoryCommand.self,
            StartCommand.self, PauseCommand.self, ResumeCommand.self, ApproveCommand.self, PromoteCommand.self,
            RollbackCommand.self, ClearAlertCommand.self, AuditCommand.self, NotifyTestCommand.self, RulesCommand.self,
        ]
    )
}

/// Options every command that reads the config shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $COALMINE_CONFIG, else config/coalmine.yaml).")
    var config: String?

    var path: String { ConfigLoader.resolvePath(config) }

    /// The checked config, or every problem printed and exit 1.
    func load(refusing action: String) throws -> CoalmineConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            print("coalmine: \(path) has problems; \(action):\n\(error)")
            throw ExitCode(1)
        }
    }
}

func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = Logger.Level(rawValue: Environment.value("LOG_LEVEL") ?? "info") ?? .info
        return handler
    }
    return Logger(label: label)
}
