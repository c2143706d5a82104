import CoalmineCore
import CoalmineEngine
import Hummingbird

/// The dashboard's pages: one layout, light and dark by the reader's setting, readable at phone width, usable by
/// keyboard. They render fully without script; `/assets/dashboard.js` only keeps them current.
enum DashboardPage {
    static func response(_ status: HTTPResponse.Status = .ok, title: String, actor: String?, csrf: String?, live: Bool, body: String)
        -> Response
    {
        let signedIn = actor.map { actor in
            """
            <form class="signout" method="post" action="/logout"><input type="hidden" name="csrf" value="\(HTMLPage.escape(csrf ?? ""))">\
            <span>\(HTMLPage.escape(actor))</span> <button class="quiet" type="submit">Sign out</button></form>
            """
        } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
            <title>\(HTMLPage.escape(title)) · Coalmine</title>
            <style>\(style)</style>
            \(live ? #"<script src="/assets/dashboard.js" defer></script>"# : "")
            </head>
            <body><header><a class="brand" href="/">Coalmine</a>\(signedIn)</header>
            <main id="main">\(body)</main></body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self';"
                    + " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let style = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--accent:#0969da;\
        --red:#cf222e;--green:#1a7f37;--amber:#9a6700;--purple:#8250df;--grid:#d8dee4}
        @media (prefers-color-scheme: dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;\
        --accent:#4493f8;--red:#f85149;--green:#3fb950;--amber:#d29922;--purple:#ab7df8;--grid:#30363d}}
        *{box-sizing:border-box} body{font:16px/1.5 system-ui,sans-serif;margin:0;background:var(--bg);color:var(--fg)}
        header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
        .brand{font-weight:600;color:var(--fg);text-decoration:none} main{max-width:72rem;margin:0 auto;padding:1rem}
        a{color:var(--accent)} a:focus-visible,button:focus-visible,input:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
        h1{font-size:1.4rem;margin:.4rem 0 1rem} h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
        .rollouts{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem;padding:0;list-style:none}
        .card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem}
        .card h2{margin:0 0 .4rem;display:flex;justify-content:space-between;gap:.5rem;align-items:center}
        .badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-size:.85rem;font-weight:600;color:#fff;background:var(--muted)}
        .badge.observing{background:var(--accent)} .badge.promoted{background:var(--green)} .badge.paused{background:var(--amber)}
        .badge.awaiting-human{background:var(--red)} .badge.rolling-back,.badge.rolled-back{background:var(--purple)} .badge.idle{background:var(--muted)}
        .bar{display:flex;height:.8rem;border-radius:.4rem;overflow:hidden;border:1px solid var(--line);margin:.3rem 0}
        .bar .stable{background:var(--muted)} .bar .canary{background:var(--accent)}
        .muted{color:var(--muted)} .refused{color:var(--red)} dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .8rem;margin:.4rem 0}
        dt{color:var(--muted)} dd{margin:0} ul.alerts{margin:.2rem 0;padding-left:1.1rem}
        .actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.6rem}
        .actions a,button{font:inherit;font-size:.95rem;padding:.4rem .9rem;border:0;border-radius:.4rem;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
        .actions a.rollback,button.rollback{background:var(--red)} button.quiet{background:transparent;color:var(--accent);padding:.2rem .4rem}
        .signout{display:flex;align-items:center;gap:.4rem;color:var(--muted)}
        label{display:block;margin:.8rem 0 .2rem} input[type=text],input[type=password],textarea{font:inherit;width:100%;max-width:28rem;padding:.4rem;border:1px solid var(--line);border-radius:.3rem;background:var(--bg);color:var(--fg)}
        table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{color:var(--muted);font-weight:normal} td.body{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
        .runs a{margin-right:.5rem} .runs a[aria-current]{font-weight:700;color:var(--fg)}
        .chart{width:100%;height:auto;max-width:60rem} .chart .grid{stroke:var(--grid)} .chart .tick{stroke:var(--muted)}
        .chart .axis,.chart .empty{font-size:11px;fill:var(--muted)} .chart .weight{stroke:var(--accent);stroke-width:2.5}
        .chart .mark line{stroke:var(--muted);stroke-dasharray:3 3} .chart .mark:focus line,.chart .mark:hover line{stroke:var(--fg);stroke-dasharray:none}
        .chart .firing.breaker *,.chart .firing.abort *{fill:var(--red)} .chart .firing.gate *{fill:var(--amber)}
        .chart .resolved *{fill:var(--green)} .chart .decision *{fill:var(--accent)} .chart .drift *{fill:var(--purple)} .chart .header-route *{fill:var(--accent)}
        .scroll{overflow-x:auto} @media (max-width:40rem){table.journal .hash{display:none} main{padding:.6rem}}
        .legend{font-size:.85rem;color:var(--muted)} .chain.ok{color:var(--green)} .chain.broken{color:var(--red)}
        """

    /// A rollout's state as a coloured badge, spelled as everywhere (`awaiting-human (breaker)`).
    static func badge(_ view: RolloutView) -> String {
        let reason = view.reason.map { " (\($0.rawValue))" } ?? ""
        return #"<span class="badge \#(view.state.rawValue)">\#(HTMLPage.escape(view.state.rawValue + reason))</span>"#
    }

    /// Stable and canary weights as one bar.
    static func bar(_ view: RolloutView) -> String {
        """
        <div class="bar" role="img" aria-label="stable \(view.stableWeight) %, canary \(view.canaryWeight) %">\
        <span class="stable" style="width:\(view.stableWeight)%"></span><span class="canary" style="width:\(view.canaryWeight)%"></span></div>\
        <div class="muted">\(HTMLPage.escape(trafficLine(view)))</div>
        """
    }

    /// The weights in words, and who else reaches the canary by header.
    static func trafficLine(_ view: RolloutView) -> String {
        guard let header = view.headerRoute else { return "stable \(view.stableWeight) % · canary \(view.canaryWeight) %" }
        if view.canaryWeight == 0 { return "\(header.audience) on canary · everyone else stable" }
        return "stable \(view.stableWeight) % · canary \(view.canaryWeight) % · plus \(header.audience) on canary"
    }

    /// How long ago, or how long until, in words.
    static func span(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds.magnitude)
        if seconds < 90 { return "\(seconds) s" }
        if seconds < 90 * 60 { return "\(seconds / 60) min" }
        if seconds < 48 * 3600 { return "\(seconds / 3600) h \((seconds % 3600) / 60) min" }
        return "\(seconds / 86_400) d"
    }

    /// The actions allowed now, each a link to its confirmation.
    static func actions(_ view: RolloutView) -> String {
        let links = view.allowedActions.map { action in
            #"<a class="\#(action.rawValue)" href="/rollouts/\#(HTMLPage.escape(view.name))/confirm/\#(action.rawValue)">\#(HTMLPage.escape(action.buttonTitle))</a>"#
        }
        return links.isEmpty ? #"<p class="muted">No action is allowed now.</p>"# : #"<div class="actions">\#(links.joined())</div>"#
    }

    /// The time to the next step, or how long a human has been awaited.
    static func timing(_ view: RolloutView, now: Timestamp) -> String {
        if let next = view.nextStepAt { return "next step in \(span(next.since(now)))" }
        if view.state == .awaitingHuman { return "a human has been awaited for \(span(now.since(view.since)))" }
        return "in this state for \(span(now.since(view.since)))"
    }

    static func alerts(_ view: RolloutView, now: Timestamp) -> String {
        guard !view.firingAlerts.isEmpty else { return "" }
        let items = view.firingAlerts.map { alert in
            "<li>\(HTMLPage.escape(alert.name)) <span class=\"muted\">(\(alert.role.rawValue), for \(span(now.since(alert.receivedAt))))</span></li>"
        }
        return #"<ul class="alerts" aria-label="firing alerts">\#(items.joined())</ul>"#
    }
}
