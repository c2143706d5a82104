import CoalmineCore
import CoalmineJournal
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import CoalmineHTTP

/// The weight chart drawn from real journals: the app's engine on a manual clock writes the entries, the chart
/// reads them back as the dashboard will.
@Suite struct RolloutChartTests {
    /// Every element of the SVG with its attributes, in order (the SVG must parse as XML to be read at all), and
    /// the text of each `<title>`.
    final class Elements: NSObject, XMLParserDelegate {
        var all: [(name: String, attributes: [String: String])] = []
        var titles: [String] = []
        private var inTitle = false

        static func of(_ svg: String) throws -> Elements {
            let elements = Elements()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = elements
            #expect(parser.parse(), "well-formed SVG: \(parser.parserError.map { "\($0)" } ?? "")")
            return elements
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            all.append((name, attributes))
            if name == "title" {
                inTitle = true
                titles.append("")
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inTitle { titles[titles.count - 1] += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title" { inTitle = false }
        }

        func named(_ name: String) -> [[String: String]] { all.filter { $0.name == name }.map(\.attributes) }

        /// The weight line's points as (x, y).
        var line: [(x: Double, y: Double)] {
            (named("polyline").first?["points"] ?? "").split(separator: " ").map { pair in
                let parts = pair.split(separator: ",").compactMap { Double($0) }
                return (parts[0], parts[1])
            }
        }
    }

    static func chart(_ fixture: AppFixture, active: Bool = true) async throws -> RolloutChart {
        let entries = try await fixture.runtime.engine.history(of: "tf-model-service")
        let run = entries.last?.run ?? 0
        return RolloutChart.of(run: run, entries: entries, now: fixture.clock.now(), isActive: active)
    }

    @Test func aRunWithNoDataSaysSoAndDrawsNoLine() async throws {
        let fixture = try await AppFixture()
        // Through the app, which also shuts its clients down at the end.
        let chart = try await fixture.test { _ in try await Self.chart(fixture) }
        let elements = try Elements.of(chart.svg())
        #expect(elements.named("polyline").isEmpty)
        #expect(elements.all.contains { $0.name == "text" && $0.attributes["class"] == "empty" })
        #expect(elements.titles == ["Canary weight of run 0"])
    }

    @Test func oneStepIsAFlatLineAtItsWeightToTheEndOfTheRun() async throws {
        let fixture = try await AppFixture()
        let chart = try await fixture.test { client in
            try await fixture.startRollout(client)
            fixture.clock.advance(by: .seconds(30))
            return try await Self.chart(fixture)
        }
        #expect(chart.points.map(\.canaryWeight) == [5])
        let line = try Elements.of(chart.svg()).line
        #expect(line.count == 2)
        #expect(line.allSatisfy { $0.y == chart.y(5) }, "held at 5 %")
        #expect(line[1].x == chart.x(fixture.clock.now()), "to now: the run goes on")
        // A 30-second run is labelled in seconds.
        #expect(chart.ticks.map(chart.tickLabel).allSatisfy { $0.count == 8 && $0.filter { $0 == ":" }.count == 2 })
    }

    @Test func aFullFiveStepRunClimbsInStepsAndItsDayIsLabelledInHours() async throws {
        let fixture = try await AppFixture()
        let chart = try await fixture.test { client in
            try await fixture.startRollout(client)
            // The example bakes an hour a step; four steps later the canary has all the traffic.
            for _ in 0..<4 {
                fixture.clock.advance(by: .seconds(3600))
                _ = try await fixture.runtime.engine.tick()
            }
            return try await Self.chart(fixture, active: false)
        }
        #expect(chart.points.map(\.canaryWeight) == [5, 10, 30, 50, 100])
        let line = try Elements.of(chart.svg()).line
        #expect(line.count == 10)
        #expect(zip(line, line.dropFirst()).allSatisfy { $0.x <= $1.x }, "time runs left to right")
        #expect(zip(line, line.dropFirst()).allSatisfy { $0.y >= $1.y }, "the weight only climbs")
        #expect(line.last?.y == chart.y(100))
        let labels = chart.ticks.map(chart.tickLabel)
        #expect((3...8).contains(labels.count), "readable over four hours: \(labels)")
        #expect(labels.allSatisfy { $0.count == 5 }, "hours and minutes: \(labels)")
        #expect(Set(labels).count == labels.count)
    }

    @Test func aBreakerTripAndTheRollbackAreMarkedAndNamed() async throws {
        let fixture = try await AppFixture()
        try await fixture.test { client in
            try await fixture.startRollout(client)
            fixture.clock.advance(by: .seconds(600))
            let breaker = alertmanagerBody(labels: [
                "alertname": "CoalmineCanaryErrorRatioHigh", "service": "tf-model-service", "coalmine_role": "breaker",
            ])
            let delivered = try await client.execute(
                uri: "/hooks/alertmanager", method: .post, headers: fixture.webhookAuth, body: breaker)
            #expect(delivered.status == .ok)
            fixture.clock.advance(by: .seconds(120))
            var headers = fixture.apiAuth
            headers[.contentType] = "application/json"
            let rollback = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/rollback", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"actor":"alice@example.com","reason":"5xx on v2"}"#))
            #expect(rollback.status == .ok)
        }
        let chart = try await Self.chart(fixture)
        let elements = try Elements.of(chart.svg())
        let marks = elements.named("g").filter { $0["class"]?.hasPrefix("mark") == true }
        #expect(marks.map { $0["class"] } == ["mark decision", "mark alert firing breaker", "mark decision"], "start, breaker, rollback")
        #expect(marks.allSatisfy { $0["tabindex"] == "0" }, "every mark takes keyboard focus")
        #expect(marks[1]["aria-label"]?.hasPrefix("CoalmineCanaryErrorRatioHigh firing (breaker) at ") == true)
        #expect(elements.titles.contains { $0.hasPrefix("rollback by alice@example.com: 5xx on v2 at ") })
        #expect(chart.points.map(\.canaryWeight) == [5, 0], "back to the stable version")
        #expect(chart.x(chart.marks[1].at) < chart.x(chart.marks[2].at), "the rollback after the trip")
    }

    @Test func aHeaderStageIsMarkedWhereTheRouteWentInAndCameOutAndTheAPISaysSo() async throws {
        let fixture = try await AppFixture(rolloutExtra: "    headerStage: { header: x-user-group, exact: internal, bake: 2h }")
        try await fixture.test { client in
            try await fixture.startRollout(client)
            let view = try await client.execute(uri: "/api/v1/rollouts/tf-model-service", method: .get, headers: fixture.apiAuth)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: view.body)) as? [String: Any]
            #expect(body?["traffic"] as? String == "internal (x-user-group=internal)")
            #expect(
                body?["headerRoute"] as? [String: String] == ["header": "x-user-group", "kind": "exact", "value": "internal"])
            fixture.clock.advance(by: .seconds(7200))
            try await fixture.runtime.engine.tick()
            fixture.clock.advance(by: .seconds(600))
            let rollback = try await client.execute(
                uri: "/api/v1/rollouts/tf-model-service/rollback", method: .post, headers: fixture.apiAuth)
            #expect(rollback.status == .ok)
        }
        let chart = try await Self.chart(fixture)
        let labels = chart.marks.filter { $0.kind == .headerRoute }.map(\.label)
        #expect(labels == ["internal (x-user-group=internal) on the canary", "header route x-user-group=internal removed"])
        #expect(chart.points.map(\.canaryWeight) == [0, 5, 0])
        let elements = try Elements.of(chart.svg())
        #expect(elements.named("g").filter { $0["class"] == "mark header-route" }.count == 2)
    }

    @Test func aMarkLabelFromAnAlertIsEscaped() throws {
        let chart = RolloutChart(
            run: 1, points: [.init(at: Timestamp(secondsSinceEpoch: 0), canaryWeight: 5)],
            marks: [.init(at: Timestamp(secondsSinceEpoch: 10), kind: .alertFiring(.gate), label: #"<script>"x"&</script>"#)],
            start: Timestamp(secondsSinceEpoch: 0), end: Timestamp(secondsSinceEpoch: 20))
        let svg = chart.svg()
        #expect(!svg.contains("<script>"))
        #expect(try Elements.of(svg).titles.contains { $0.hasPrefix(#"<script>"x"&</script> at "#) }, "shown as text")
    }
}
