import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// The dashboard: `/` (every rollout), `/rollouts/{name}` (one rollout: chart, journal, actions), `/login`,
/// `/logout`, and `GET /api/v1/events` (Server-Sent Events when a rollout changes). Every page and action needs a
/// signed-in reader: the identity header from the trusted sign-in proxy, or a session begun with the API token at
/// `/login`. Anyone else gets the login page and never a rollout's name. Actions go through the engine like the
/// API's, journaled with the reader as the actor, and every form carries the session's CSRF token.
struct DashboardRoutes {
    let engine: RolloutEngine
    let credentials: Credentials
    let sessions: DashboardSessions
    let identity: TrustedIdentity?
    let chainStatus: ChainStatus
    let clock: @Sendable () -> Timestamp

    /// Who is reading: the actor to journal and the CSRF token their forms carry.
    struct Reader {
        var actor: String
        var csrf: String
    }

    func reader(_ request: Request, _ context: CoalmineRequestContext) -> Reader? {
        if let identity, case .identified(let person) = identity.identify(request.headers, peer: context.remoteAddress) {
            return Reader(actor: person, csrf: sessions.csrf(forProxied: person))
        }
        return sessions.session(in: request.headers, now: clock()).map { Reader(actor: $0.actor, csrf: $0.csrf) }
    }

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("/login") { request, context in
            loginPage(error: nil, signedIn: reader(request, context))
        }
        router.post("/login") { request, _ in
            let form = try await Self.form(request)
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard Credentials.constantTimeEquals(form["token"] ?? "", credentials.apiToken) else {
                return loginPage(error: "That is not the API token (server.api.tokenFile).", signedIn: nil, status: .unauthorized)
            }
            // The name goes into the journal and the logs as the actor: printable, on one line.
            guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                return loginPage(error: "Give your name (up to 100 characters): the journal records it with what you do.",
                                 signedIn: nil, status: .badRequest)
            }
            let started = sessions.start(actor: "dashboard:\(name)", now: clock())
            return Response(status: .seeOther, headers: [.location: "/", .setCookie: started.setCookie, .cacheControl: "no-store"])
        }
        router.post("/logout") { request, context in
            guard let reader = reader(request, context) else { return Self.toLogin }
            let form = try await Self.form(request)
            guard Credentials.constantTimeEquals(form["csrf"] ?? "", reader.csrf) else { return Self.csrfRefused }
            return Response(status: .seeOther, headers: [.location: "/login", .setCookie: sessions.endCookie])
        }
        router.get("/assets/dashboard.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardScript.source)))
        }
        router.get("/") { request, context in
            guard let reader = reader(request, context) else { return Self.toLogin }
            return await page(reader) { try await overview() }
        }
        router.get("/rollouts/:name") { request, context in
            guard let reader = reader(request, context) else { return Self.toLogin }
            let name = try context.parameters.require("name")
            let run = request.uri.queryParameters["run"].flatMap { Int($0) }
            let before = request.uri.queryParameters["before"].flatMap { Int64($0) }
            return await page(reader) { try await rolloutPage(name, run: run, before: before) }
        }
        router.get("/rollouts/:name/confirm/:action") { request, context in
            guard let reader = reader(request, context) else { return Self.toLogin }
            let name = try context.parameters.require("name")
            let actionName = try context.parameters.require("action")
            return await page(reader, live: false) {
                guard let action = HumanAction(rawValue: actionName) else {
                    throw RequestRejection(status: .notFound, message: "no action is named '\(actionName)'")
                }
                let view = try await engine.view(of: name)
                return (
                    "\(action.buttonTitle): \(name)",
                    """
                    <h1>\(HTMLPage.escape(action.buttonTitle)): \(HTMLPage.escape(name))?</h1>
                    <p>\(DashboardPage.badge(view))</p>\(DashboardPage.bar(view))
                    <p>\(HTMLPage.escape(HTMLPage.consequence(of: action, on: view)))</p>
                    <form method="post" action="/rollouts/\(HTMLPage.escape(name))/actions/\(action.rawValue)">
                    <input type="hidden" name="csrf" value="\(HTMLPage.escape(reader.csrf))">
                    <input type="hidden" name="stateVersion" value="\(view.stateVersion)">
                    <label for="reason">Reason (recorded in the journal)</label>
                    <input type="text" id="reason" name="reason" maxlength="500" required>
                    <div class="actions"><button class="\(action.rawValue)" type="submit">\(HTMLPage.escape(action.buttonTitle))</button>
                    <a class="quiet" href="/rollouts/\(HTMLPage.escape(name))">Cancel</a></div>
                    </form>
                    """
                )
            }
        }
        router.post("/rollouts/:name/actions/:action") { request, context in
            guard let reader = reader(request, context) else {
                return Response(status: .unauthorized, headers: [.location: "/login"])
            }
            let name = try context.parameters.require("name")
            let form = try await Self.form(request)
            guard Credentials.constantTimeEquals(form["csrf"] ?? "", reader.csrf) else { return Self.csrfRefused }
            return await page(reader, live: false) {
                let actionName = try context.parameters.require("action")
                guard let action = HumanAction(rawValue: actionName) else {
                    throw RequestRejection(status: .notFound, message: "no action is named '\(actionName)'")
                }
                let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty else { throw RequestRejection(status: .badRequest, message: "a reason is required") }
                // Confirmed against what the reader saw: a rollout that moved meanwhile is shown again instead.
                if let seen = form["stateVersion"].flatMap(Int.init), try await engine.view(of: name).stateVersion != seen {
                    throw RequestRejection(status: .conflict, message: "the rollout changed since you confirmed; look again")
                }
                _ = try await engine.perform(HumanCommand(action, actor: reader.actor, reason: reason), on: name)
                return ("", "")
            } redirect: { "/rollouts/\(name)" }
        }
        router.get("/api/v1/events") { request, context in
            guard credentials.acceptsAPI(request.headers) || reader(request, context) != nil else {
                return APIResponse.error(
                    .unauthorized, "sign in at /login, or send the API token (Authorization: Bearer <token>)",
                    headers: [.wwwAuthenticate: "Bearer realm=\"coalmine\""])
            }
            return events()
        }
    }

    // MARK: pages

    static let toLogin = Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
    static let csrfRefused = APIResponse.error(
        .forbidden, "the form's CSRF token is missing or wrong: open the page again and resubmit")

    private func loginPage(error: String?, signedIn: Reader?, status: HTTPResponse.Status = .ok) -> Response {
        let note = signedIn.map { #"<p class="muted">Signed in as \#(HTMLPage.escape($0.actor)). <a href="/">Rollouts</a></p>"# } ?? ""
        let problem = error.map { #"<p class="refused" role="alert">\#(HTMLPage.escape($0))</p>"# } ?? ""
        return DashboardPage.response(
            status, title: "Sign in", actor: nil, csrf: nil, live: false,
            body: """
                <h1>Sign in</h1>\(note)\(problem)
                <form method="post" action="/login">
                <label for="name">Your name (the journal records it as who acted)</label>
                <input type="text" id="name" name="name" autocomplete="username" required maxlength="100">
                <label for="token">API token (server.api.tokenFile)</label>
                <input type="password" id="token" name="token" autocomplete="current-password" required>
                <div class="actions"><button type="submit">Sign in</button></div>
                </form>
                <p class="muted">Behind a sign-in proxy (server.actions.trustedProxy) no token is needed.</p>
                """)
    }

    /// Renders what `content` returns as a page; an engine error as its page. With `redirect`, a success goes there.
    private func page(
        _ reader: Reader, live: Bool = true, _ content: () async throws -> (title: String, body: String),
        redirect: (() -> String)? = nil
    ) async -> Response {
        do {
            let (title, body) = try await content()
            if let redirect { return Response(status: .seeOther, headers: [.location: redirect()]) }
            return DashboardPage.response(title: title, actor: reader.actor, csrf: reader.csrf, live: live, body: body)
        } catch let error as EngineError {
            let status: HTTPResponse.Status =
                switch error {
                case .unknownRollout: .notFound
                case .refused, .alertNotFiring: .conflict
                case .journalUnavailable: .serviceUnavailable
                }
            return DashboardPage.response(
                status, title: "Not done", actor: reader.actor, csrf: reader.csrf, live: false,
                body: #"<h1 class="refused">Not done</h1><p>\#(HTMLPage.escape(error.description))</p><p><a href="/">Rollouts</a></p>"#)
        } catch let rejection as RequestRejection {
            return DashboardPage.response(
                rejection.status, title: "Not done", actor: reader.actor, csrf: reader.csrf, live: false,
                body: #"<h1 class="refused">Not done</h1><p>\#(HTMLPage.escape(rejection.message))</p><p><a href="/">Rollouts</a></p>"#)
        } catch {
            return DashboardPage.response(
                .serviceUnavailable, title: "Try again", actor: reader.actor, csrf: reader.csrf, live: false,
                body: #"<h1 class="refused">Not available now: try again</h1>"#)
        }
    }

    private func overview() async throws -> (String, String) {
        let now = clock()
        let cards = try await engine.views().map { view in
            """
            <li class="card" data-rollout="\(HTMLPage.escape(view.name))"><h2><a href="/rollouts/\(HTMLPage.escape(view.name))">\
            \(HTMLPage.escape(view.name))</a>\(DashboardPage.badge(view))</h2>
            \(DashboardPage.bar(view))
            <dl><dt>Versions</dt><dd>\(HTMLPage.escape(view.stableVersion ?? "stable")) → \(HTMLPage.escape(view.canaryVersion ?? "canary"))</dd>
            <dt>Timing</dt><dd>\(HTMLPage.escape(DashboardPage.timing(view, now: now)))</dd></dl>
            \(DashboardPage.alerts(view, now: now))\(DashboardPage.actions(view))</li>
            """
        }
        return ("Rollouts", #"<h1>Rollouts</h1><ul class="rollouts" data-live="all">\#(cards.joined())</ul>"#)
    }

    /// The newest entries of a run for the chart: read back page by page until the run's start, at most 20,000.
    private func entries(of name: String, run: Int) async throws -> (entries: [JournalEntry], complete: Bool) {
        var collected: [JournalEntry] = []
        var before: Int64?
        for _ in 0..<20 {
            let page = try await engine.history(of: name, before: before, limit: 1000)
            collected.insert(contentsOf: page.entries.filter { $0.run == run }, at: 0)
            if page.entries.first.map({ $0.run < run }) ?? true || page.next == nil { return (collected, true) }
            before = page.next
        }
        return (collected, false)
    }

    private func rolloutPage(_ name: String, run chosenRun: Int?, before: Int64?) async throws -> (String, String) {
        let view = try await engine.view(of: name)
        let now = clock()
        let run = min(max(chosenRun ?? view.run, 0), view.run)
        let (runEntries, complete) = try await entries(of: name, run: run)
        let isActive = run == view.run && ![.rolledBack, .promoted, .idle].contains(view.state)
        let chart = RolloutChart.of(run: run, entries: runEntries, now: now, isActive: isActive)
        let runs = view.run <= 1 ? "" : "<p class=\"runs\">Runs: " + (1...view.run).reversed().prefix(30).map { number in
            #"<a href="/rollouts/\#(HTMLPage.escape(name))?run=\#(number)"\#(number == run ? #" aria-current="page""# : "")>\#(number)</a>"#
        }.joined() + "</p>"
        // The run's entries, newest first, fifty to a page.
        let shown = runEntries.filter { entry in before.map { entry.sequence < $0 } ?? true }.suffix(50)
        let rows = shown.reversed().map { entry in
            """
            <tr><td>\(entry.sequence)</td><td>\(entry.recordedAt.rfc3339)</td><td>\(entry.kind.rawValue)</td>\
            <td class="body">\(HTMLPage.escape(String(entry.body.prefix(400))))</td><td class="hash" title="\(entry.hash)">\(entry.hash.prefix(12))…</td></tr>
            """
        }.joined()
        let oldestShown = shown.first.flatMap { first in runEntries.first.map { $0.sequence < first.sequence } == true ? first.sequence : nil }
        let older = oldestShown.map { #"<p><a href="/rollouts/\#(HTMLPage.escape(name))?run=\#(run)&before=\#($0)">Older entries</a></p>"# } ?? ""
        let body = """
            <h1>\(HTMLPage.escape(name)) \(DashboardPage.badge(view))</h1>
            <div data-rollout="\(HTMLPage.escape(name))" data-live="one">
            \(DashboardPage.bar(view))
            <dl><dt>Namespace</dt><dd>\(HTMLPage.escape(view.namespace))</dd>
            <dt>Versions</dt><dd>\(HTMLPage.escape(view.stableVersion ?? "stable")) → \(HTMLPage.escape(view.canaryVersion ?? "canary"))</dd>
            <dt>Timing</dt><dd>\(HTMLPage.escape(DashboardPage.timing(view, now: now)))</dd></dl>
            \(DashboardPage.alerts(view, now: now))\(DashboardPage.actions(view))
            <h2>Canary weight, run \(run)</h2>\(runs)
            \(chart.svg())
            <p class="legend">▲ alert firing (red: breaker or abort, amber: gate) · ● resolved · ◆ a person's decision · ■ drift corrected · ▼ header route in or out\
            \(complete ? "" : " · the chart shows the newest 20,000 entries of this run")</p>
            <h2>Journal of run \(run)</h2>\(chainStatus.html)
            <div class="scroll"><table class="journal"><thead><tr><th>#</th><th>recorded</th><th>kind</th>\
            <th>body</th><th class="hash">hash</th></tr></thead><tbody>\(rows)</tbody></table></div>\(older)
            </div>
            """
        return (name, body)
    }

    // MARK: events

    /// A rollout's new view whenever its journal grows, as `event: rollout` with the view's JSON, and a comment every
    /// 15 s so proxies keep the stream open. Changes that arrive while the stream is busy are merged by rollout:
    /// however long a storm or however slow the reader, the stream holds at most one pending name per rollout, and
    /// the engine never waits for it.
    private func events() -> Response {
        let changes = engine.changes.subscribe()
        let engine = engine
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": coalmine events\n\n"))
                let backlog = ChangedRollouts()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await name in changes { backlog.add(name) }
                        backlog.end()
                    }
                    group.addTask {
                        // A stream never ends by itself: a graceful stop ends it, or `serve` would wait for every
                        // open page.
                        try? await gracefulShutdown()
                        backlog.end()
                    }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    while let names = await backlog.next(orAfter: .seconds(15)) {
                        if names.isEmpty { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                        for name in names.sorted() {
                            guard let view = try? await engine.view(of: name) else { continue }
                            let json = String(decoding: try encoder.encode(view), as: UTF8.self)
                            try await writer.write(ByteBuffer(string: "event: rollout\ndata: \(json)\n\n"))
                        }
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    // MARK: forms

    /// An `application/x-www-form-urlencoded` body (at most 16 KiB) as a dictionary.
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
