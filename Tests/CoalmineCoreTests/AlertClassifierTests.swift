import CoalmineCore
import Testing

@Suite struct AlertClassifierTests {
    let classifier = AlertClassifier(rollouts: [
        RolloutSpec(
            name: "tf-model-service", namespace: "ml", object: "tf-model-route", stable: "v1",
            canary: "v2",
            alerts: AlertMatching(
                matchLabels: ["service": "tf-model-service"],
                roles: [
                    RoleRule(match: ["alertname": "TFServingOpKernelMissing"], role: .abort),
                    RoleRule(match: ["severity": "page"], role: .breaker),
                ])),
        RolloutSpec(
            name: "ranker", namespace: "ml", object: "ranker", stable: "v1", canary: "v2"),
    ])

    func alert(_ labels: [String: String]) -> AlertObservation {
        AlertObservation(status: .firing, fingerprint: "f", startsAt: "2027-01-01T00:00:00Z", labels: labels)
    }

    @Test func theRolloutLabelWinsOverMatchLabels() {
        let matches = classifier.matches(for: alert(["coalmine_rollout": "ranker", "service": "tf-model-service"]))
        #expect(matches == [.init(rollout: "ranker", role: .gate)])
    }

    @Test func matchLabelsMustAllMatch() {
        #expect(classifier.matches(for: alert(["service": "tf-model-service", "alertname": "X"])).count == 1)
        #expect(classifier.matches(for: alert(["service": "other"])).isEmpty)
    }

    @Test func anAlertFindsEveryRolloutWhoseLabelsItCarriesInConfigOrderAmongMany() {
        func spec(_ name: String, _ labels: [String: String]) -> RolloutSpec {
            RolloutSpec(
                name: name, namespace: "ml", object: name, stable: "v1", canary: "v2",
                alerts: AlertMatching(matchLabels: labels))
        }
        // Rollouts indexed under different label names, one sharing a value with another, among many others.
        var rollouts = (0..<2000).map { spec("svc-\($0)", ["service": "svc-\($0)"]) }
        rollouts.insert(spec("by-team", ["team": "ml", "tier": "gpu"]), at: 10)
        rollouts.append(spec("by-service-and-zone", ["service": "svc-7", "zone": "a"]))
        let many = AlertClassifier(rollouts: rollouts)
        let names = { (labels: [String: String]) in many.matches(for: self.alert(labels)).map(\.rollout) }
        // by-team stands at position 10, after svc-7 and long before by-service-and-zone.
        #expect(
            names(["service": "svc-7", "zone": "a", "team": "ml", "tier": "gpu"])
                == ["svc-7", "by-team", "by-service-and-zone"])
        #expect(names(["service": "svc-7", "zone": "b"]) == ["svc-7"], "every matchLabel must match")
        #expect(names(["team": "ml"]).isEmpty, "tier is missing")
        #expect(names(["service": "svc-1999"]) == ["svc-1999"])
    }

    @Test func aRolloutWithoutMatchLabelsTakesOnlyAlertsThatNameIt() {
        #expect(classifier.matches(for: alert(["alertname": "Anything"])).isEmpty)
    }

    @Test(arguments: [
        (["coalmine_role": "breaker"], AlertRole.breaker),
        (["coalmine_role": "abort", "severity": "page"], .abort),
        (["alertname": "TFServingOpKernelMissing", "severity": "page"], .abort),
        (["severity": "page"], .breaker),
        (["coalmine_role": "braeker"], .gate),
        ([:], .gate),
    ])
    func roleComesFromTheLabelThenTheRulesThenDefaultsToGate(labels: [String: String], role: AlertRole) {
        var all = labels
        all["service"] = "tf-model-service"
        #expect(classifier.matches(for: alert(all)).first?.role == role)
    }
}
