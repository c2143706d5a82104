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
            let added = memory.insertIfAbsent(Self.key(number), Timestamp(secondsSinceEpoch: Int64(number)))
            #expect(added)
        }
        let repeated = memory.insertIfAbsent(Self.key(7), Timestamp(secondsSinceEpoch: 99))
        #expect(!repeated, "a repeat")
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
}
