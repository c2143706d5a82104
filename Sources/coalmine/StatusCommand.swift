import ArgumentParser
import CoalmineEngine
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show rollouts.")

    @Argument(help: "One rollout; all when omitted.")
    var name: String?

    @Flag(name: .long, help: "Print the API's JSON.")
    var json = false

    @OptionGroup var client: ClientOptions

    struct RolloutList: Decodable {
        var rollouts: [RolloutView]
    }

    func run() async throws {
        let api = try client.client()
        try await reportingFailures {
            let data = try await api.send(.GET, "/api/v1/rollouts" + (name.map { "/\($0)" } ?? ""))
            if json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let views =
                name == nil
                ? try JSONDecoder().decode(RolloutList.self, from: data).rollouts
                : [try JSONDecoder().decode(RolloutView.self, from: data)]
            print(StatusTable.render(views))
        }
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show a rollout's journal, oldest first.")

    @Argument(help: "The rollout's name.")
    var name: String

    @Flag(name: .long, help: "Print the API's JSON.")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.client()
        try await reportingFailures {
            let data = try await api.send(.GET, "/api/v1/rollouts/\(name)/history")
            if json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            for entry in document?["entries"] as? [[String: Any]] ?? [] {
                print(StatusTable.historyLine(entry))
            }
        }
    }
}
