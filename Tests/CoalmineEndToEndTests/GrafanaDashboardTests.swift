import CoalmineTestSupport
import Foundation
import Testing

/// `deploy/grafana/coalmine.json` asks Prometheus only for series Coalmine really exports (from a running leader's
/// `/metrics`) or `coalmine rules` really records, with labels they carry, in PromQL that Prometheus' own parser
/// (promtool) accepts.
@Suite struct GrafanaDashboardTests {
    static let dashboardPath = "\(BreakerLoopTests.root)/deploy/grafana/coalmine.json"

    /// Every PromQL expression of the dashboard: panel targets, the rollout variable, annotations.
    static func expressions() throws -> [String] {
        let dashboard = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dashboardPath))) as? [String: Any])
        var found: [String] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            found += (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        for annotation in (dashboard["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            if let expr = annotation["expr"] as? String { found.append(expr) }
        }
        for variable in (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            // label_values(METRIC, LABEL) is Grafana's, not PromQL: checked as the selector METRIC{LABEL!=""}.
            if let query = variable["definition"] as? String,
                let match = query.firstMatch(of: /label_values\((\w+),\s*(\w+)\)/)
            {
                found.append("\(match.1){\(match.2)!=\"\"}")
            }
        }
        return found.map {
            $0.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(of: "$rollout", with: ".*")
        }
    }

    /// The series a selector names, with the labels it filters on: `name{a="x", b=~"y"}` → (name, [a, b]).
    static func selectors(in expression: String) -> [(name: String, labels: Set<String>)] {
        let keywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"]
        // Strings, ranges ([5m]) and grouping labels (by (a, b)) hold no series names.
        let plain = expression.replacing(/"(?:[^"\\]|\\.)*"/, with: "\"\"").replacing(/\[[^\]]*\]/, with: "")
            .replacing(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/) { $0.1 + " " }
        var found: [(String, Set<String>)] = []
        for match in plain.matches(of: /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/) {
            let name = String(match.1)
            let after = plain[match.range.upperBound...]
            // A function call, an aggregation with its clause after it, or a keyword is not a series.
            guard !keywords.contains(name), !after.hasPrefix("("), after.firstMatch(of: /^\s*(by|without)\b/) == nil else { continue }
            let labels = Set((match.2.map(String.init) ?? "").matches(of: /(\w+)\s*(?:=~|!~|!=|=)/).map { String($0.1) })
            found.append((name, labels))
        }
        return found
    }

    @Test(.enabled(if: ReplicaFailoverTests.enabled), .timeLimit(.minutes(2)))
    func everyQueryNamesASeriesCoalmineProducesWithItsLabels() async throws {
        try await ReplicaFailoverTests.inWorld(replicas: 1, rollouts: ["tf-model-service"]) { world, _, _ in
            try await world.start(0)
            try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
            _ = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start", via: 0, json: ["actor": "alice"])
            _ = try await ReplicaFailoverTests.deliver(ReplicaWorld.webhook([("g", "Gate", "tf-model-service")]), world, startingAt: 0)
            // The journal's head is exported once there is a journal to anchor (every second in this world).
            try await eventually("the journal head on /metrics") {
                String(decoding: try await world.request(.GET, "\(world.url(0))/metrics").body, as: UTF8.self)
                    .contains("coalmine_journal_head_sequence ")
            }

            // What the leader exports: each series name with the labels it carries.
            var exported: [String: Set<String>] = [:]
            let metrics = String(decoding: try await world.request(.GET, "\(world.url(0))/metrics").body, as: UTF8.self)
            for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
                guard let match = line.firstMatch(of: /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?/) else { continue }
                let labels = (match.2.map(String.init) ?? "").matches(of: /(\w+)="/).map { String($0.1) }
                exported[String(match.1), default: []].formUnion(labels)
            }
            // What `coalmine rules` records for this config, with the labels each record sets.
            let rules = try await ReplicaFailoverTests.cli(world, ["rules", "--config", "\(world.directory)/r0.yaml"])
            for block in rules.components(separatedBy: "- record: ").dropFirst() {
                let name = String(block.prefix { !$0.isNewline })
                let labels = block.matches(of: /\n\s+(coalmine_\w+): "/).map { String($0.1) }
                exported[name, default: []].formUnion(labels)
            }
            // Prometheus' own series of firing alerts, labelled as the rules label them.
            exported["ALERTS"] = ["alertname", "alertstate", "coalmine_rollout", "coalmine_role", "severity"]

            let expressions = try Self.expressions()
            #expect(expressions.count >= 12)
            var named = Set<String>()
            for expression in expressions {
                for selector in Self.selectors(in: expression) {
                    named.insert(selector.name)
                    guard let labels = exported[selector.name] else {
                        Issue.record("\(selector.name) (in \(expression)) is neither exported nor recorded")
                        continue
                    }
                    #expect(selector.labels.isSubset(of: labels), "\(selector.name) has no label \(selector.labels.subtracting(labels)): \(expression)")
                }
            }
            // The issue's panels: the breaker's ratio, weights, transitions, failed effects.
            #expect(
                ["coalmine:error_ratio", "coalmine_canary_weight", "coalmine_transitions_total", "coalmine_effect_failures_total",
                 "coalmine_rollout_state", "coalmine_leader"].allSatisfy(named.contains), "\(named.sorted())")

            // And Prometheus' parser accepts every one, as a recording rule for promtool.
            let file = "\(world.directory)/dashboard-rules.yaml"
            let rulesText = "groups:\n  - name: dashboard\n    rules:\n" + expressions.enumerated().map { index, expression in
                "      - record: dashboard:query_\(index)\n        expr: '\(expression.replacingOccurrences(of: "'", with: "''"))'\n"
            }.joined()
            try rulesText.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try ManagedProcess("promtool", "/usr/bin/promtool", ["check", "rules", file], logDirectory: world.directory)
            while check.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(check.exitStatus == 0, "\(check.logTail)")
        }
    }

    @Test func selectorsAreReadWithTheirLabelsAndWithoutFunctionsOrGroupings() {
        let found = Self.selectors(
            in: #"sum by (kind, code) (increase(coalmine_effect_failures_total{kind="router", x=~"a|b"}[5m])) / on(kind) up"#)
        #expect(found.map(\.name) == ["coalmine_effect_failures_total", "up"])
        #expect(found.first?.labels == ["kind", "x"])
    }
}
