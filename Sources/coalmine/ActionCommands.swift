import ArgumentParser
import CoalmineEngine
import Foundation

/// The options every action verb takes.
struct ActionOptions: ParsableArguments {
    @Argument(help: "The rollout's name.")
    var name: String

    @Option(name: .long, help: "Why; recorded in the journal.")
    var reason: String?

    @Option(name: .long, help: "Who; recorded in the journal (default: cli:<login name>).")
    var actor: String?

    @OptionGroup var client: ClientOptions
}

/// Sends one action and prints the rollout as it now stands.
func perform(_ action: String, _ options: ActionOptions, extra: [String: String] = [:]) async throws {
    try await post(
        "/api/v1/rollouts/\(options.name)/\(action)", actor: options.actor, reason: options.reason, client: options.client,
        extra: extra)
}

/// Posts a human's decision, naming the actor (default `cli:<login name>`), and prints the rollout it left.
func post(_ path: String, actor: String?, reason: String?, client: ClientOptions, extra: [String: String] = [:]) async throws {
    let api = try client.client()
    var body = extra
    body["actor"] = actor ?? "cli:\(Environment.value("USER") ?? NSUserName())"
    if let reason { body["reason"] = reason }
    let view = try JSONDecoder().decode(RolloutView.self, from: try await api.send(.POST, path, json: body))
    print(StatusTable.render([view]))
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a new run of a rollout.")
    @OptionGroup var options: ActionOptions
    @Option(name: .long, help: "The canary's version, for messages (e.g. 2.13.0-gpu).")
    var canaryVersion: String?
    @Option(name: .long, help: "The stable version, for messages (e.g. 2.12.0).")
    var stableVersion: String?

    func run() async throws {
        var extra: [String: String] = [:]
        if let canaryVersion { extra["canaryVersion"] = canaryVersion }
        if let stableVersion { extra["stableVersion"] = stableVersion }
        try await reportingFailures { try await perform("start", options, extra: extra) }
    }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop traffic growth until resumed.")
    @OptionGroup var options: ActionOptions
    func run() async throws { try await reportingFailures { try await perform("pause", options) } }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume a paused rollout, or one waiting for a human.")
    @OptionGroup var options: ActionOptions
    func run() async throws { try await reportingFailures { try await perform("resume", options) } }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve the next weight of a rollout waiting for approval.")
    @OptionGroup var options: ActionOptions
    func run() async throws { try await reportingFailures { try await perform("approve", options) } }
}

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Send all traffic to the canary now.")
    @OptionGroup var options: ActionOptions
    func run() async throws { try await reportingFailures { try await perform("promote", options) } }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Send all traffic back to the stable version.")
    @OptionGroup var options: ActionOptions
    func run() async throws { try await reportingFailures { try await perform("rollback", options) } }
}

struct ClearAlertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear-alert",
        abstract: "Declare a firing alert over when its resolution never arrived; the rollout goes on as if it resolved.")
    @Argument(help: "The rollout's name.")
    var name: String
    @Argument(help: "The alert's fingerprint, as `coalmine status NAME` lists it.")
    var fingerprint: String
    @Option(name: .long, help: "Why the alert is over; required, recorded in the journal.")
    var reason: String
    @Option(name: .long, help: "Who; recorded in the journal (default: cli:<login name>).")
    var actor: String?
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await reportingFailures {
            try await post(
                "/api/v1/rollouts/\(name)/alerts/\(fingerprint)/clear", actor: actor, reason: reason, client: client)
        }
    }
}
