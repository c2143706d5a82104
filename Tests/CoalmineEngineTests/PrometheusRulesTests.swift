import CoalmineCore
import CoalmineEngine
import Foundation
import Testing
import Yams

@Suite struct PrometheusRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func theCommittedRulesAreWhatTheShippedConfigGeneratesNow() throws {
        let config = try ConfigLoader.load(path: "\(Self.root)/config/coalmine.yaml")
        let generated = PrometheusRuleFile.render(
            PrometheusRules.groups(for: config), format: .prometheus, source: "config/coalmine.yaml")
        let committed = try String(contentsOfFile: "\(Self.root)/deploy/prometheus/coalmine-rules.yaml", encoding: .utf8)
        #expect(
            generated == committed,
            "deploy/prometheus/coalmine-rules.yaml is stale: run `swift run coalmine rules > deploy/prometheus/coalmine-rules.yaml`")
    }

    @Test func thePrometheusRuleFormatCarriesTheSameGroups() throws {
        let config = try ConfigLoader.load(path: "\(Self.root)/config/coalmine.yaml")
        let groups = PrometheusRules.groups(for: config)
        let plain = try Yams.load(yaml: PrometheusRuleFile.render(groups, format: .prometheus, source: "x")) as? [String: Any]
        let resource = try Yams.load(yaml: PrometheusRuleFile.render(groups, format: .prometheusRule, source: "x")) as? [String: Any]
        #expect(resource?["apiVersion"] as? String == "monitoring.coreos.com/v1")
        #expect(resource?["kind"] as? String == "PrometheusRule")
        let spec = resource?["spec"] as? [String: Any]
        let same = NSArray(array: spec?["groups"] as? [Any] ?? []).isEqual(to: plain?["groups"] as? [Any] ?? [1])
        #expect(same)
    }

    @Test func theBreakerFollowsTheConfiguredThresholdWindowAndMetrics() throws {
        let config = try ConfigLoader.parse(
            """
            rollouts:
              - name: ranker
                namespace: search
                virtualService: ranker
                stableSubset: blue
                canarySubset: green
                breaker: { errorRatio: 0.005, window: 2m }
                metrics: { requests: http_requests_total, versionLabel: track, serviceLabel: app, service: "ranker \\"v2\\"", codeLabel: code, errorCodeRegex: "5..|429", rateWindow: 30s }
            """)
        let rules = PrometheusRules.groups(for: config)[0].rules
        let breaker = try #require(rules.first { if case .alert(let name, _, _, _, _) = $0 { name == "CoalmineCanaryErrorRatioHigh" } else { false } })
        guard case .alert(_, let expr, let duration, let labels, let annotations) = breaker else { return }
        #expect(expr == #"coalmine:error_ratio{coalmine_rollout="ranker",coalmine_version="canary"} > 0.005"#)
        #expect(duration == .seconds(120))
        #expect(labels.map(\.0) == ["coalmine_rollout", "coalmine_role", "severity"])
        #expect(annotations.first?.1 == "ranker: canary error ratio {{ $value | humanizePercentage }} > 0.5% for 2m")
        let ratio = try #require(rules.first { if case .record(let name, _, let labels) = $0 { name == "coalmine:error_ratio" && labels.last?.1 == "canary" } else { false } })
        guard case .record(_, let ratioExpr, _) = ratio else { return }
        #expect(
            ratioExpr
                == #"sum(rate(http_requests_total{app="ranker \"v2\"",track="green",code=~"5..|429"}[30s])) / sum(rate(http_requests_total{app="ranker \"v2\"",track="green"}[30s]))"#)
    }

    @Test func aRateWindowShorterThanTwoScrapesIsRefused() {
        do {
            _ = try ConfigLoader.parse(
                """
                rollouts:
                  - { name: r, namespace: n, virtualService: v, stableSubset: a, canarySubset: b, metrics: { rateWindow: 20s, scrapeInterval: 15s } }
                """)
            Issue.record("loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "rollouts[0].metrics.rateWindow: must be at least twice scrapeInterval (15s), or one missed scrape empties the rate"
                ])
        }
    }
}
