import CoalmineCore
import CoalmineEngine
import Hummingbird

/// `/rollouts/{name}`: a read-only page of a rollout, linked from every message. It shows what the API's
/// GET shows and offers no actions: acting takes a signed link or the API token.
struct StatusPageRoutes {
    let engine: RolloutEngine

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("/rollouts/:name") { _, context in
            let name = try context.parameters.require("name")
            do {
                let view = try await engine.view(of: name)
                return HTMLPage.response(
                    .ok, title: view.name,
                    body: """
                        <h1>\(HTMLPage.escape(view.name))</h1>
                        \(HTMLPage.facts(view))
                        <p class="note">Allowed now: \(HTMLPage.escape(view.allowedActions.map(\.rawValue).joined(separator: ", ")))</p>
                        """)
            } catch EngineError.unknownRollout {
                // The page is public: it names no other rollout (the engine's error lists every configured one).
                return HTMLPage.response(
                    .notFound, title: "Unknown rollout",
                    body: "<h1 class=\"refused\">No rollout \(HTMLPage.escape(name)) is configured</h1>")
            } catch {
                context.logger.error("status page not served", metadata: ["rollout": "\(NoticeText.printable(name))", "error": "\(error)"])
                return HTMLPage.response(
                    .serviceUnavailable, title: "Try again", body: "<h1 class=\"refused\">Not available now: try again</h1>")
            }
        }
    }
}
