import CoalmineCore
import Testing

/// Delivery keys carry their hash; a key made from another must still be the key made from scratch.
@Suite struct AlertDeliveryKeyTests {
    @Test func theResolutionOfAnEpisodeIsItsOwnKeyAndFoundByEitherRoute() {
        let firing = AlertDeliveryKey(fingerprint: "f1", startsAt: "2027-01-15T08:00:00Z", status: .firing)
        let resolved = AlertDeliveryKey(fingerprint: "f1", startsAt: "2027-01-15T08:00:00Z", status: .resolved)
        #expect(firing != resolved)
        #expect(firing.with(status: .resolved) == resolved)
        #expect(resolved.with(status: .firing) == firing)
        let remembered: [AlertDeliveryKey: Int] = [firing: 1, resolved: 2]
        #expect(remembered[firing.with(status: .resolved)] == 2)
        #expect(remembered[AlertDeliveryKey(fingerprint: "f1", startsAt: "2027-01-15T08:00:01Z", status: .firing)] == nil)
        #expect(remembered[AlertDeliveryKey(fingerprint: "f2", startsAt: "2027-01-15T08:00:00Z", status: .resolved)] == nil)
    }
}
