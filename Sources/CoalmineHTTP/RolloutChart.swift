import CoalmineCore
import CoalmineJournal
import Foundation

/// One run of a rollout as a picture: the canary's weight over time as a step line, with a mark for every alert that
/// fired or resolved (by role), every human decision (with the actor) and every drift correction. Drawn on the
/// server as SVG from the journal, so it needs no script and no library; each mark carries a `<title>` (hover) and
/// is focusable with an `aria-label` (keyboard and screen readers).
struct RolloutChart: Equatable {
    struct Point: Equatable {
        var at: Timestamp
        var canaryWeight: Int
    }

    struct Mark: Equatable {
        enum Kind: Equatable {
            case alertFiring(AlertRole)
            case alertResolved(AlertRole)
            case decision
            case drift
            /// Coalmine's header route went in or came out.
            case headerRoute
        }

        var at: Timestamp
        var kind: Kind
        /// What hovering or focusing the mark says.
        var label: String
    }

    var run: Int
    var points: [Point]
    var marks: [Mark]
    var start: Timestamp
    var end: Timestamp

    /// The chart of `run` from a rollout's journal entries (oldest first). A run still going is drawn up to `now`.
    static func of(run: Int, entries: [JournalEntry], now: Timestamp, isActive: Bool) -> RolloutChart {
        let ofRun = entries.filter { $0.run == run }
        var points: [Point] = []
        var marks: [Mark] = []
        var headerRoute: HeaderMatch?
        for entry in ofRun {
            guard let body = try? JSONSerialization.jsonObject(with: Data(entry.body.utf8)) as? [String: Any] else { continue }
            let at = entry.recordedAt
            switch entry.kind {
            case .transition:
                if let weight = body["canaryWeight"] as? Int, points.last?.canaryWeight != weight || points.isEmpty {
                    points.append(Point(at: at, canaryWeight: weight))
                }
                let route = ((body["state"] as? [String: Any])?["headerRoute"] as? [String: Any]).map(Self.headerMatch)
                if route != headerRoute {
                    let label = route.map { "\($0.audience) on the canary" } ?? "header route \(headerRoute.map(String.init(describing:)) ?? "") removed"
                    marks.append(Mark(at: at, kind: .headerRoute, label: label))
                    headerRoute = route
                }
            case .alertReceived:
                let role = (body["role"] as? String).flatMap(AlertRole.init(rawValue:)) ?? .gate
                let name = body["alertname"] as? String ?? "alert"
                if body["status"] as? String == "resolved" {
                    marks.append(Mark(at: at, kind: .alertResolved(role), label: "\(name) resolved (\(role.rawValue))"))
                } else {
                    marks.append(Mark(at: at, kind: .alertFiring(role), label: "\(name) firing (\(role.rawValue))"))
                }
            case .humanAction:
                let action = body["action"] as? String ?? "action"
                let actor = body["actor"] as? String ?? "someone"
                let reason = (body["reason"] as? String).map { ": \($0)" } ?? ""
                marks.append(Mark(at: at, kind: .decision, label: "\(action) by \(actor)\(reason)"))
            case .driftDetected:
                let intended = body["intendedCanaryWeight"] as? Int ?? 0
                let observed = body["observedCanaryWeight"] as? Int ?? 0
                marks.append(Mark(at: at, kind: .drift, label: "drift: the cluster had \(observed) %, corrected to \(intended) %"))
            case .effectRequested, .effectResult:
                continue
            }
        }
        let start = ofRun.first?.recordedAt ?? now
        let last = ofRun.last?.recordedAt ?? now
        return RolloutChart(run: run, points: points, marks: marks, start: start, end: isActive ? max(now, last) : last)
    }

    /// A journaled header route.
    static func headerMatch(_ fields: [String: Any]) -> HeaderMatch {
        HeaderMatch(
            header: fields["header"] as? String ?? "?",
            kind: (fields["kind"] as? String).flatMap(HeaderMatch.Kind.init(rawValue:)) ?? .exact,
            value: fields["value"] as? String ?? "?")
    }

    // MARK: drawing

    static let width = 720.0
    static let height = 260.0
    /// Room for the axes' labels and the marks above the plot.
    static let plot = (left: 44.0, right: 12.0, top: 34.0, bottom: 30.0)

    var duration: Duration { end.since(start) }

    func x(_ time: Timestamp) -> Double {
        let span = max(Double(end.millisecondsSinceEpoch - start.millisecondsSinceEpoch), 1)
        let offset = Double(time.millisecondsSinceEpoch - start.millisecondsSinceEpoch)
        return Self.plot.left + (Self.width - Self.plot.left - Self.plot.right) * min(max(offset / span, 0), 1)
    }

    func y(_ weight: Int) -> Double {
        Self.plot.top + (Self.height - Self.plot.top - Self.plot.bottom) * (1 - Double(weight) / 100)
    }

    /// Tick spacing that gives four to eight labels however long the run: seconds for a test, hours for a bake.
    static func tickStep(for duration: Duration) -> Duration {
        let steps: [Duration] = [
            .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(600), .seconds(1800),
            .seconds(3600), .seconds(7200), .seconds(4 * 3600), .seconds(6 * 3600), .seconds(12 * 3600), .seconds(86_400),
            .seconds(2 * 86_400), .seconds(7 * 86_400),
        ]
        return steps.first { duration / $0 <= 8 } ?? .seconds(7 * 86_400)
    }

    /// The times of the ticks: whole multiples of the step inside the run.
    var ticks: [Timestamp] {
        let step = Int64(Self.tickStep(for: duration).components.seconds * 1000)
        var tick = (start.millisecondsSinceEpoch / step + 1) * step
        var found: [Timestamp] = []
        while tick < end.millisecondsSinceEpoch {
            found.append(Timestamp(millisecondsSinceEpoch: tick))
            tick += step
        }
        return found
    }

    /// A tick's label, as precise as the step needs (UTC).
    func tickLabel(_ time: Timestamp) -> String {
        let text = time.rfc3339  // 2026-11-29T12:34:56Z or with milliseconds
        let date = String(text.prefix(10))
        let clock = String(text.dropFirst(11).prefix(8))
        let step = Self.tickStep(for: duration)
        if step < .seconds(60) { return clock }
        if step >= .seconds(86_400) { return String(date.dropFirst(5)) }
        return String(clock.prefix(5))
    }

    func svg() -> String {
        let title = "Canary weight of run \(run)"
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" \
            role="img" aria-labelledby="chart-title-\(run)"><title id="chart-title-\(run)">\(HTMLPage.escape(title))</title>
            """
        for weight in [0, 25, 50, 75, 100] {
            let y = format(y(weight))
            svg += #"<line class="grid" x1="\#(format(Self.plot.left))" y1="\#(y)" x2="\#(format(Self.width - Self.plot.right))" y2="\#(y)"/>"#
            svg += #"<text class="axis" x="\#(format(Self.plot.left - 6))" y="\#(y)" text-anchor="end" dominant-baseline="middle">\#(weight) %</text>"#
        }
        for tick in ticks {
            let x = format(x(tick))
            svg += #"<line class="tick" x1="\#(x)" y1="\#(format(Self.height - Self.plot.bottom))" x2="\#(x)" y2="\#(format(Self.height - Self.plot.bottom + 4))"/>"#
            svg += #"<text class="axis" x="\#(x)" y="\#(format(Self.height - 8))" text-anchor="middle">\#(tickLabel(tick))</text>"#
        }
        if points.isEmpty {
            svg += #"<text class="empty" x="\#(format(Self.width / 2))" y="\#(format(Self.height / 2))" text-anchor="middle">No traffic moved in this run yet</text>"#
        } else {
            // A step line: each weight holds until the next change, the last until the end of the run.
            var path: [String] = []
            for (index, point) in points.enumerated() {
                let holdsUntil = index + 1 < points.count ? points[index + 1].at : end
                path.append("\(format(x(point.at))),\(format(y(point.canaryWeight)))")
                path.append("\(format(x(holdsUntil))),\(format(y(point.canaryWeight)))")
            }
            svg += #"<polyline class="weight" fill="none" points="\#(path.joined(separator: " "))"/>"#
        }
        for mark in marks {
            let x = format(x(mark.at))
            let label = HTMLPage.escape("\(mark.label) at \(mark.at.rfc3339)")
            svg += #"<g class="mark \#(mark.cssClass)" tabindex="0" role="img" aria-label="\#(label)"><title>\#(label)</title>"#
            svg += #"<line x1="\#(x)" y1="\#(format(Self.plot.top - 6))" x2="\#(x)" y2="\#(format(Self.height - Self.plot.bottom))"/>"#
            svg += mark.shape(x: x, y: format(Self.plot.top - 14))
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    private func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

extension RolloutChart.Mark {
    /// Classes the page's style colours: the kind, and an alert's role.
    var cssClass: String {
        switch kind {
        case .alertFiring(let role): "alert firing \(role.rawValue)"
        case .alertResolved(let role): "alert resolved \(role.rawValue)"
        case .decision: "decision"
        case .drift: "drift"
        case .headerRoute: "header-route"
        }
    }

    /// A shape per kind, so marks differ without colour too: a triangle fires, a circle resolves, a diamond is a
    /// human, a square is drift, a downward triangle is the header route going in or out.
    func shape(x: String, y: String) -> String {
        let cx = Double(x) ?? 0
        let cy = Double(y) ?? 0
        func point(_ dx: Double, _ dy: Double) -> String { String(format: "%.1f,%.1f", cx + dx, cy + dy) }
        switch kind {
        case .alertFiring: return #"<polygon points="\#(point(-6, 5)) \#(point(6, 5)) \#(point(0, -6))"/>"#
        case .alertResolved: return #"<circle cx="\#(x)" cy="\#(y)" r="5"/>"#
        case .decision: return #"<polygon points="\#(point(0, -7)) \#(point(7, 0)) \#(point(0, 7)) \#(point(-7, 0))"/>"#
        case .drift: return #"<rect x="\#(String(format: "%.1f", cx - 5))" y="\#(String(format: "%.1f", cy - 5))" width="10" height="10"/>"#
        case .headerRoute: return #"<polygon points="\#(point(-6, -5)) \#(point(6, -5)) \#(point(0, 6))"/>"#
        }
    }
}
