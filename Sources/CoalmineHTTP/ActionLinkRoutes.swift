import CoalmineCore
import CoalmineEngine
import HTTPTypes
import Hummingbird

/// `/actions/{token}`: the one-click links in chat messages.
///
/// GET only shows what the link would do, with a button: chat apps fetch links for previews, so a GET must never
/// act. POST acts, once. Both refuse a link that is forged (403), expired (410), used (409), stale (409) or for an
/// action not allowed now (409), with a page that says which.
struct ActionLinkRoutes {
    let engine: RolloutEngine
    let signer: ActionSigner
    /// Who acts, when an auth proxy says so; nil: the link's own authority, journaled as `link:<notifier>`.
    let identity: TrustedIdentity?
    let clock: @Sendable () -> Timestamp

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("/actions/:token") { _, context in
            let token = try context.parameters.require("token")
            let claims: ActionClaims
            switch verify(token) {
            case .success(let verified): claims = verified
            case .failure(let page): return page.response
            }
            do {
                let view = try await engine.preview(claims)
                guard view.allowedActions.contains(claims.action) else {
                    return notAllowed(claims.action, view)
                }
                let title = claims.action.buttonTitle
                return HTMLPage.response(
                    .ok, title: title,
                    body: """
                        <h1>\(HTMLPage.escape(title)): \(HTMLPage.escape(view.name))?</h1>
                        \(HTMLPage.facts(view))
                        <p>\(HTMLPage.escape(HTMLPage.consequence(of: claims.action, on: view)))</p>
                        <form method="post"><button class="\(claims.action.rawValue)" type="submit">\(HTMLPage.escape(title))</button></form>
                        <p class="note">This link works once and expires at \(claims.expiresAt.rfc3339).</p>
                        """)
            } catch {
                return page(for: error)
            }
        }
        router.post("/actions/:token") { request, context in
            let token = try context.parameters.require("token")
            let claims: ActionClaims
            switch verify(token) {
            case .success(let verified): claims = verified
            case .failure(let page): return page.response
            }
            var actor = "link:\(claims.notifier)"
            if let identity {
                switch identity.identify(request.headers, peer: context.remoteAddress) {
                case .identified(let person): actor = person
                case .noIdentity:
                    return HTMLPage.response(
                        .unauthorized, title: "Sign in first",
                        body: "<h1 class=\"refused\">Sign in first</h1><p>This action needs your identity from the sign-in proxy"
                            + " (header \(HTMLPage.escape(identity.header))), and none came with the request. Nothing was changed.</p>")
                case .notThroughProxy:
                    context.logger.warning(
                        "link POST refused: not through the trusted sign-in proxy",
                        metadata: ["peer": "\(context.remoteAddress?.description ?? "unknown")", "rollout": "\(claims.rollout)"])
                    return HTMLPage.response(
                        .unauthorized, title: "Sign in first",
                        body: "<h1 class=\"refused\">Sign in first</h1><p>This request did not come through the sign-in proxy"
                            + " (server.actions.trustedProxy), so who sent it is not known. Open the link through the proxy."
                            + " Nothing was changed.</p>")
                }
            }
            do {
                let view = try await engine.perform(claims, actor: actor)
                let title = claims.action.buttonTitle
                return HTMLPage.response(
                    .ok, title: "Done",
                    body: """
                        <h1>Done: \(HTMLPage.escape(title.lowercased())) \(HTMLPage.escape(view.name))</h1>
                        \(HTMLPage.facts(view))
                        <p class="note">Recorded in the journal as done by \(HTMLPage.escape(actor)).</p>
                        """)
            } catch {
                return page(for: error)
            }
        }
    }

    private func verify(_ token: String) -> Result<ActionClaims, PageError> {
        do {
            return .success(try signer.verify(token, at: clock()))
        } catch .expired(let claims) {
            return .failure(
                PageError(
                    response: HTMLPage.response(
                        .gone, title: "Link expired",
                        body: "<h1 class=\"refused\">This link expired</h1><p>It expired at \(claims.expiresAt.rfc3339)."
                            + " Nothing was changed. A newer message about \(HTMLPage.escape(claims.rollout)) carries fresh links.</p>")))
        } catch {
            return .failure(
                PageError(
                    response: HTMLPage.response(
                        .forbidden, title: "Not a valid link",
                        body: "<h1 class=\"refused\">This is not a valid Coalmine link</h1>"
                            + "<p>Its signature does not check out (or its key was retired). Nothing was changed.</p>")))
        }
    }

    private func notAllowed(_ action: HumanAction, _ view: RolloutView) -> Response {
        HTMLPage.response(
            .conflict, title: "Not allowed now",
            body: """
                <h1 class="refused">\(HTMLPage.escape(action.rawValue)) is not allowed now</h1>
                \(HTMLPage.facts(view))
                <p>Allowed now: \(HTMLPage.escape(view.allowedActions.map(\.rawValue).joined(separator: ", "))). Nothing was changed.</p>
                """)
    }

    private func page(for error: any Error) -> Response {
        switch error {
        case LinkRefusal.alreadyUsed(let use):
            return HTMLPage.response(
                .conflict, title: "Link already used",
                body: "<h1 class=\"refused\">This link was already used</h1><p>\(HTMLPage.escape(use.actor)) used it to"
                    + " \(use.action.rawValue) \(HTMLPage.escape(use.rollout)) at \(use.usedAt.rfc3339). Nothing more was changed.</p>")
        case LinkRefusal.stale(let view):
            return HTMLPage.response(
                .conflict, title: "The rollout moved on",
                body: """
                    <h1 class="refused">The rollout moved on since this message</h1>
                    \(HTMLPage.facts(view))
                    <p>Nothing was changed. Act on the newest message about \(HTMLPage.escape(view.name)): it carries fresh links.</p>
                    """)
        case LinkRefusal.notAllowed(let refusal, let view):
            return notAllowed(refusal.action, view)
        case LinkRefusal.unknownRollout(let name), EngineError.unknownRollout(let name, _):
            return HTMLPage.response(
                .notFound, title: "Unknown rollout",
                body: "<h1 class=\"refused\">No rollout \(HTMLPage.escape(name)) is configured</h1><p>Nothing was changed.</p>")
        default:
            return HTMLPage.response(
                .serviceUnavailable, title: "Try again",
                body: "<h1 class=\"refused\">Not done: try again</h1><p>\(HTMLPage.escape("\(error)"))</p>")
        }
    }

    struct PageError: Error {
        var response: Response
    }
}
