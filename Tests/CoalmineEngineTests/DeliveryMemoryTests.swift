import CoalmineCore
import Testing

@testable import CoalmineEngine

/// The engine's memory of deliveries is spread over many dictionaries; what it answers must not show it.
@Suite struct DeliveryMemoryTests {
    static func key(_ number: Int, _ status: AlertObservation.Status = .firing) -> AlertDeliveryKey {
        AlertDeliveryKey(fingerprint: "f\(number)", startsAt: "2027-01-15T08:00:00Z", status: status)
    }

    @Test func rememberedDeliveriesAreFoundForgottenAndKeptAsOne() {
        var memory = DeliveryMemory([Self.key(0): Timestamp(secondsSinceEpoch: 1)])
        for number in 1..<2000 {
            let taken = memory.take(Self.key(number), at: Timestamp(secondsSinceEpoch: Int64(number)))
            #expect(taken == .new)
        }
        let repeated = memory.take(Self.key(7), at: Timestamp(secondsSinceEpoch: 99))
        #expect(repeated == .repeated)
        #expect(memory[Self.key(7)] == Timestamp(secondsSinceEpoch: 7), "first seen, not last")
        #expect(memory[Self.key(7, .resolved)] == nil)
        #expect(memory[Self.key(0)] == Timestamp(secondsSinceEpoch: 1))
        let removed = memory.removeValue(forKey: Self.key(5))
        #expect(removed == Timestamp(secondsSinceEpoch: 5))
        #expect(memory[Self.key(5)] == nil)
        memory.keep { key, seenAt in seenAt.millisecondsSinceEpoch >= 1_000_000 || key == Self.key(3) }
        #expect(memory[Self.key(3)] != nil && memory[Self.key(999)] == nil && memory[Self.key(1000)] != nil)
        #expect((0..<2000).filter { memory[Self.key($0)] != nil }.count == 1001, "3 and 1000…1999")
    }

    @Test func theFiringAndResolutionOfAnEpisodeAreRememberedApartAndOnlyALateFiringIsRefused() {
        var memory = DeliveryMemory([Self.key(1, .resolved): Timestamp(secondsSinceEpoch: 4)])
        #expect(memory.take(Self.key(1), at: Timestamp(secondsSinceEpoch: 5)) == .afterItsResolution)
        #expect(memory[Self.key(1)] == nil, "a late firing is not remembered as seen")
        #expect(memory.take(Self.key(1, .resolved), at: Timestamp(secondsSinceEpoch: 6)) == .repeated)
        #expect(memory.take(Self.key(2), at: Timestamp(secondsSinceEpoch: 7)) == .new)
        #expect(memory.take(Self.key(2, .resolved), at: Timestamp(secondsSinceEpoch: 8)) == .new)
        #expect(memory.take(Self.key(2), at: Timestamp(secondsSinceEpoch: 9)) == .afterItsResolution)
        // Forgetting one delivery of an episode keeps the other.
        memory.removeValue(forKey: Self.key(2, .resolved))
        #expect(memory[Self.key(2)] == Timestamp(secondsSinceEpoch: 7) && memory[Self.key(2, .resolved)] == nil)
        #expect(memory.take(Self.key(2), at: Timestamp(secondsSinceEpoch: 10)) == .repeated)
        memory.keep { key, _ in key.status == .firing }
        #expect(memory[Self.key(1, .resolved)] == nil && memory[Self.key(2)] == Timestamp(secondsSinceEpoch: 7))
        #expect(memory.take(Self.key(1), at: Timestamp(secondsSinceEpoch: 11)) == .new, "its resolution forgotten")
    }
}
