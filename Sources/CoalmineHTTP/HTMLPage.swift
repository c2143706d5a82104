import CoalmineCore
import CoalmineEngine
import Hummingbird

/// The small pages people reach from chat: the confirmation a link shows, its result, and the status page.
enum HTMLPage {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func response(_ status: HTTPResponse.Status, title: String, body: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
            <title>\(escape(title)) · Coalmine</title>
            <style>
            body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
            h1{font-size:1.4rem} table{border-collapse:collapse} td,th{padding:.2rem .8rem .2rem 0;text-align:left;vertical-align:top}
            th{color:#59636e;font-weight:normal} .note{color:#59636e} .refused{color:#b42318}
            button{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#1f6feb;color:#fff;cursor:pointer}
            button.rollback{background:#cf222e}
            </style></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                // No framing: a page with a button must not be overlaid by another site (clickjacking).
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The rollout as it stands, as a table.
    static func facts(_ view: RolloutView) -> String {
        let state = view.reason.map { "\(view.state.rawValue) (\($0.rawValue))" } ?? view.state.rawValue
        var rows: [(String, String)] = [
            ("Rollout", "\(view.name) in \(view.namespace), run \(view.run)"),
            ("State", "\(state) since \(view.since.rfc3339)"),
            ("Traffic", "stable \(view.stableWeight) % · canary \(view.canaryWeight) %"),
        ]
        if let canary = view.canaryVersion { rows.append(("Canary version", canary)) }
        if let stable = view.stableVersion { rows.append(("Stable version", stable)) }
        if let next = view.nextStepAt { rows.append(("Next step", next.rfc3339)) }
        for alert in view.firingAlerts {
            rows.append(("Alert", "\(alert.name) (\(alert.role.rawValue))\(alert.summary.map { ": \($0)" } ?? "")"))
        }
        let cells = rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
        return "<table>\(cells)</table>"
    }

    /// What `action` will do to the rollout in `view`, in a sentence.
    static func consequence(of action: HumanAction, on view: RolloutView) -> String {
        switch action {
        case .rollback: "Send all traffic back to the stable version: canary \(view.canaryWeight) % → 0 %."
        case .resume:
            "Resume the rollout: the canary stays at \(view.canaryWeight) % and the bake time starts again; while an alert fires it stays paused."
        case .approve: "Apply the next weight of the rollout, up from \(view.canaryWeight) %."
        case .promote: "Send all traffic to the canary version: canary \(view.canaryWeight) % → 100 %."
        case .start: "Start a new run."
        case .pause: "Stop traffic growth until someone resumes."
        }
    }
}
