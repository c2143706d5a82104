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

    struct Cluster: Decodable {
        var leader: String?
        var epoch: Int64
        var answeredBy: String
        var replicas: [Replica]

        struct Replica: Decodable {
            var id: String
        }

        /// The header line: who leads, among how many.
        var header: String {
            let names = replicas.map(\.id).joined(separator: ", ")
            let lead = leader.map { "leader \($0) (term \(epoch))" } ?? "no leader right now (a failover is under way)"
            return "\(lead); replicas: \(names); answered by \(answeredBy)"
        }
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
            // Only a PostgreSQL journal has replicas; on SQLite the cluster call is a 404 and there is no header.
            if let cluster = try? JSONDecoder().decode(Cluster.self, from: try await api.send(.GET, "/api/v1/cluster")) {
                print(cluster.header + "\n")
            }
            print(StatusTable.render(views))
            if name != nil, let view = views.first, !view.firingAlerts.isEmpty {
                print("\n" + StatusTable.firingAlerts(of: view))
            }
        }
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show a rollout's newest journal entries (or all of them), oldest first.")

    @Argument(help: "The rollout's name.")
    var name: String

    @Option(name: .long, help: "How many of the newest entries (1 to 1000).")
    var limit = 200

    @Flag(name: .long, help: "Every entry, page by page from the newest back.")
    var all = false

    @Flag(name: .long, help: "Print the API's JSON (one page per line with --all).")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.client()
        try await reportingFailures {
            var pages: [[[String: Any]]] = []
            var before: Int64?
            repeat {
                let query = "limit=\(all ? 1000 : limit)" + (before.map { "&before=\($0)" } ?? "")
                let data = try await api.send(.GET, "/api/v1/rollouts/\(name)/history?\(query)")
                if json { print(String(decoding: data, as: UTF8.self)) }
                let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                pages.append(document?["entries"] as? [[String: Any]] ?? [])
                before = (document?["next"] as? NSNumber)?.int64Value
            } while all && before != nil
            guard !json else { return }
            // Pages come newest first; each page is oldest first.
            for entry in pages.reversed().joined() {
                print(StatusTable.historyLine(entry))
            }
        }
    }
}
