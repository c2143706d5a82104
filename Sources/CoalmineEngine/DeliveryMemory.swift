import CoalmineCore

/// The alert deliveries the engine remembers, with when each was first seen, held in many small dictionaries
/// chosen by hash rather than one: a dictionary re-hashes every key when it grows, and one of 800,000 deliveries
/// (a storm's worth) stopped the engine for 250 ms when it did. Growing one of these moves a 256th of them.
///
/// The firing and the resolution of one episode (fingerprint and start) share an entry, so taking a delivery, which
/// must know whether its episode resolved already, looks in one place, once.
struct DeliveryMemory: Sendable {
    /// What an episode's deliveries became when one more was taken.
    enum Taken: Equatable {
        /// Not seen before: now remembered.
        case new
        /// Seen before: a repeat.
        case repeated
        /// A firing of an episode whose resolution was seen: a late peer or a retried group, not a new firing.
        case afterItsResolution
    }

    private struct Episode: Sendable {
        var firing: Timestamp?
        var resolved: Timestamp?

        subscript(status: AlertObservation.Status) -> Timestamp? {
            get { status == .firing ? firing : resolved }
            set { if status == .firing { firing = newValue } else { resolved = newValue } }
        }
    }

    private static let shardCount = 256
    /// Keyed by the episode's firing key.
    private var shards = [[AlertDeliveryKey: Episode]](repeating: [:], count: shardCount)

    init(_ deliveries: [AlertDeliveryKey: Timestamp] = [:]) {
        for (key, seenAt) in deliveries { self[key] = seenAt }
    }

    private static func shard(of episode: AlertDeliveryKey) -> Int {
        // The key's hash is worked out once, when it is made; this mixes that one number.
        episode.hashValue & (shardCount - 1)
    }

    subscript(key: AlertDeliveryKey) -> Timestamp? {
        get {
            let episode = key.with(status: .firing)
            return shards[Self.shard(of: episode)][episode]?[key.status]
        }
        set {
            let episode = key.with(status: .firing)
            let shard = Self.shard(of: episode)
            guard var seen = shards[shard][episode] ?? (newValue == nil ? nil : Episode()) else { return }
            seen[key.status] = newValue
            shards[shard][episode] = seen.firing == nil && seen.resolved == nil ? nil : seen
        }
    }

    /// Takes a delivery first seen at `seenAt`: remembers it if it is new, except a firing whose resolution was
    /// seen, which must not open its episode again.
    mutating func take(_ key: AlertDeliveryKey, at seenAt: Timestamp) -> Taken {
        let episode = key.with(status: .firing)
        func take(_ seen: inout Episode) -> Taken {
            if key.status == .firing, seen.resolved != nil { return .afterItsResolution }
            guard seen[key.status] == nil else { return .repeated }
            seen[key.status] = seenAt
            return .new
        }
        // One lookup; an episode added here always gets one of its deliveries.
        return take(&shards[Self.shard(of: episode)][episode, default: Episode()])
    }

    @discardableResult
    mutating func removeValue(forKey key: AlertDeliveryKey) -> Timestamp? {
        defer { self[key] = nil }
        return self[key]
    }

    /// Keeps only the deliveries for which `isKept` holds.
    mutating func keep(where isKept: (AlertDeliveryKey, Timestamp) -> Bool) {
        for index in shards.indices {
            shards[index] = shards[index].compactMapValuesKeyed { episode, seen in
                var kept = seen
                if let firing = seen.firing, !isKept(episode, firing) { kept.firing = nil }
                if let resolved = seen.resolved, !isKept(episode.with(status: .resolved), resolved) { kept.resolved = nil }
                return kept.firing == nil && kept.resolved == nil ? nil : kept
            }
        }
    }
}

extension Dictionary {
    /// `compactMapValues` with the key at hand.
    fileprivate func compactMapValuesKeyed<New>(_ transform: (Key, Value) -> New?) -> [Key: New] {
        var result: [Key: New] = [:]
        for (key, value) in self {
            if let new = transform(key, value) { result[key] = new }
        }
        return result
    }
}
