import CoalmineCore
import Foundation
import Testing

@Suite struct FiringAlertsTests {
    static func alert(_ fingerprint: String, startsAt: String = "2027-01-15T08:00:00Z") -> FiringAlert {
        FiringAlert(
            observation: AlertObservation(
                status: .firing, fingerprint: fingerprint, startsAt: startsAt, labels: ["alertname": "A\(fingerprint)"]),
            role: .gate, receivedAt: Timestamp(secondsSinceEpoch: 1))
    }

    @Test func keepsFiringOrderThroughRemovalsAndCompaction() {
        var firing = FiringAlerts((0..<1000).map { Self.alert("f\($0)") })
        for index in stride(from: 0, to: 1000, by: 2) { firing.remove(fingerprint: "f\(index)") }
        #expect(firing.count == 500)
        #expect(firing.map(\.fingerprint) == stride(from: 1, to: 1000, by: 2).map { "f\($0)" })
        #expect(firing.first?.fingerprint == "f1")
        #expect(firing[fingerprint: "f999"]?.fingerprint == "f999")
        #expect(firing[fingerprint: "f998"] == nil)
        firing.append(Self.alert("f0", startsAt: "2027-01-16T08:00:00Z"))
        #expect(firing.map(\.fingerprint).last == "f0", "a new episode fires last")
        #expect(firing.remove(fingerprint: "nope") == nil)
    }

    @Test func isEncodedAsAPlainListAndComparedByContentAndOrder() throws {
        var firing: FiringAlerts = [Self.alert("a"), Self.alert("b")]
        firing.remove(fingerprint: "a")
        firing.append(Self.alert("a"))
        #expect(firing == [Self.alert("b"), Self.alert("a")])
        #expect(firing != [Self.alert("a"), Self.alert("b")])
        firing.acknowledgeAll()
        #expect(firing.allSatisfy { $0.acknowledged })
        var state = RolloutState(since: Timestamp(secondsSinceEpoch: 1))
        state.firingAlerts = firing
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(state)
        #expect(String(decoding: data, as: UTF8.self).contains(#""firingAlerts":[{"acknowledged":true,"fingerprint":"b""#))
        #expect(try JSONDecoder().decode(RolloutState.self, from: data) == state)
    }
}
