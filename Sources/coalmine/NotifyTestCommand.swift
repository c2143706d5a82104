import ArgumentParser
import AsyncHTTPClient
import CoalmineChat
import CoalmineCore
import CoalmineEngine
import Logging

struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-test", abstract: "Send a test message through one notifier and print what happened.")

    @Argument(help: "The notifier's name in the config.")
    var name: String

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load(refusing: "cannot send")
        guard let settings = config.notifiers.first(where: { $0.name == name }) else {
            print("coalmine: no notifier is named '\(name)'; configured: \(config.notifiers.map(\.name).joined(separator: ", "))")
            throw ExitCode(1)
        }
        let rollout = config.rollouts.first { $0.notify.contains(name) } ?? config.rollouts[0]
        let now = Timestamp.now()
        // A test message offers no action links: nothing a click on it could change.
        let notice = RolloutNotice(
            kind: .test, run: 0, phase: .idle, reason: nil, stateVersion: -1, canaryWeightBefore: 0,
            canaryWeightAfter: 0, actor: "coalmine notify-test", alert: nil, allowedActions: [], since: now,
            autoRollbackAt: nil, canaryVersion: nil, stableVersion: nil,
            detail: "This is a test message from `coalmine notify-test \(name)`; nothing happened to the rollout.")
        let message = NoticeMessage(
            notice: notice, rollout: rollout, links: [], statusURL: "\(config.server.publicURL)/rollouts/\(rollout.name)",
            sentAt: now)
        let logger = makeLogger("coalmine")
        let outcome: Result<Void, any Error> = await HTTPClient.withHTTPClientResult { client in
            let notifier = try NotifierFactory.make(settings, client: client, logger: logger)
            try await notifier.deliver(message)
        }
        switch outcome {
        case .success:
            print("delivered a test message through \(name) (\(settings.kind.rawValue))")
        case .failure(let error):
            let kind = (error as? DeliveryFailure).map { $0.isPermanent ? "permanent failure" : "transient failure" } ?? "failure"
            print("coalmine: \(name) (\(settings.kind.rawValue)): \(kind): \(error)")
            throw ExitCode(1)
        }
    }
}

extension HTTPClient {
    /// Runs `body` with a client that is shut down afterwards, returning the body's result rather than throwing it.
    static func withHTTPClientResult(_ body: (HTTPClient) async throws -> Void) async -> Result<Void, any Error> {
        do {
            return try await withHTTPClient { client in
                do {
                    try await body(client)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            return .failure(error)
        }
    }
}
