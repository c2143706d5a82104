import CoalmineCore

/// The alert deliveries the engine remembers, with when each was first seen, held in many small dictionaries
/// chosen by hash rather than one: a dictionary re-hashes every key when it grows, and one of 800,000 deliveries
/// (a storm's worth) stopped the engine for 250 ms when it did. Growing one of these moves a 256th of them.
struct DeliveryMemory: Sendable {
    private static let shardCount = 256
    private var shards = [[AlertDeliveryKey: Timestamp]](repeating: [:], count: shardCount)

    init(_ deliveries: [AlertDeliveryKey: Timestamp] = [:]) {
        for (key, seenAt) in deliveries { shards[Self.shard(of: key)][key] = seenAt }
    }

    private static func shard(of key: AlertDeliveryKey) -> Int {
        // The key's hash is worked out once, when it is made; this mixes that one number.
        key.hashValue & (shardCount - 1)
    }

    subscript(key: AlertDeliveryKey) -> Timestamp? {
        shards[Self.shard(of: key)][key]
    }

    /// Remembers `key` as first seen at `seenAt` unless it is remembered already; true if it was not.
    mutating func insertIfAbsent(_ key: AlertDeliveryKey, _ seenAt: Timestamp) -> Bool {
        shards[Self.shard(of: key)].insertIfAbsent(key, seenAt)
    }

    @discardableResult
    mutating func removeValue(forKey key: AlertDeliveryKey) -> Timestamp? {
        shards[Self.shard(of: key)].removeValue(forKey: key)
    }

    /// Keeps only the deliveries for which `isKept` holds.
    mutating func keep(where isKept: (AlertDeliveryKey, Timestamp) -> Bool) {
        for index in shards.indices {
            shards[index] = shards[index].filter { isKept($0.key, $0.value) }
        }
    }
}
