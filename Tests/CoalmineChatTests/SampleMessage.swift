import CoalmineCore
import CoalmineEngine
import Foundation

/// A breaker page for the example rollout, with Roll back and Resume links.
func sampleMessage(summary: String = "canary error ratio 1.7 % > 1 % for 5m") -> NoticeMessage {
    let since = Timestamp(rfc3339: "2027-01-15T08:05:00Z")!
    var alert = FiringAlert(
        observation: AlertObservation(
            status: .firing, fingerprint: "f", startsAt: "2027-01-15T08:05:00Z",
            labels: ["alertname": "CoalmineCanaryErrorRatioHigh"], annotations: ["summary": summary, "value": "0.017"]),
        role: .breaker, receivedAt: since)
    alert.acknowledged = false
    let notice = RolloutNotice(
        kind: .awaitingHuman, run: 3, phase: .awaitingHuman, reason: .breaker, stateVersion: 7, canaryWeightBefore: 10,
        canaryWeightAfter: 10, actor: "alert:CoalmineCanaryErrorRatioHigh", alert: alert,
        allowedActions: [.resume, .rollback], since: since, autoRollbackAt: nil, canaryVersion: "2.13.0-gpu",
        stableVersion: "2.12.0", detail: nil)
    let rollout = RolloutSpec(
        name: "tf-model-service", namespace: "ml", object: "tf-model-route", stable: "v1", canary: "v2")
    let expires = since + .seconds(12 * 3600)
    return NoticeMessage(
        notice: notice, rollout: rollout,
        links: [
            ActionLink(action: .rollback, url: "http://127.0.0.1:9095/actions/key.ROLLBACK.sig", expiresAt: expires),
            ActionLink(action: .resume, url: "http://127.0.0.1:9095/actions/key.RESUME.sig", expiresAt: expires),
        ],
        statusURL: "http://127.0.0.1:9095/rollouts/tf-model-service", sentAt: since + .seconds(60))
}

func json(_ data: Data) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
}

/// Walks a JSON value by keys and indexes: `path(payload, "blocks", 2, "elements")`.
func path(_ value: Any?, _ steps: Any...) -> Any? {
    var current = value
    for step in steps {
        if let key = step as? String { current = (current as? [String: Any])?[key] }
        if let index = step as? Int {
            guard let array = current as? [Any], array.indices.contains(index) else { return nil }
            current = array[index]
        }
    }
    return current
}
