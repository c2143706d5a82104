/// A rollout's firing alerts in the order they began firing, found by fingerprint in constant time: a storm of
/// ten thousand alerts must not cost ten thousand scans of ten thousand alerts. Encoded as a plain list.
public struct FiringAlerts: Sequence, Equatable, Sendable, Codable, ExpressibleByArrayLiteral {
    /// Alerts in firing order; a resolved alert leaves a hole until the holes outnumber the alerts.
    private var slots: [FiringAlert?] = []
    private var slotOfFingerprint: [String: Int] = [:]

    public init(_ alerts: some Sequence<FiringAlert>) {
        for alert in alerts {
            if slotOfFingerprint[alert.fingerprint] != nil { remove(fingerprint: alert.fingerprint) }
            append(alert)
        }
    }

    public init(arrayLiteral alerts: FiringAlert...) {
        self.init(alerts)
    }

    public var count: Int { slotOfFingerprint.count }
    public var isEmpty: Bool { slotOfFingerprint.isEmpty }
    /// The one that began firing first.
    public var first: FiringAlert? { slots.first { $0 != nil } ?? nil }

    public subscript(fingerprint fingerprint: String) -> FiringAlert? {
        slotOfFingerprint[fingerprint].flatMap { slots[$0] }
    }

    /// Adds an alert that began firing now; one with the same fingerprint must have been removed first.
    public mutating func append(_ alert: FiringAlert) {
        // One lookup: the check is the insert's own answer.
        let previous = slotOfFingerprint.updateValue(slots.count, forKey: alert.fingerprint)
        precondition(previous == nil, "\(alert.fingerprint) fires already")
        slots.append(alert)
    }

    @discardableResult
    public mutating func remove(fingerprint: String) -> FiringAlert? {
        guard let slot = slotOfFingerprint.removeValue(forKey: fingerprint) else { return nil }
        let removed = slots[slot]
        slots[slot] = nil
        if slots.count - count > Swift.max(32, count) { compact() }
        return removed
    }

    public mutating func acknowledgeAll() {
        for slot in slots.indices where slots[slot] != nil { slots[slot]!.acknowledged = true }
    }

    private mutating func compact() {
        slots = slots.filter { $0 != nil }
        for (slot, alert) in slots.enumerated() { slotOfFingerprint[alert!.fingerprint] = slot }
    }

    public func makeIterator() -> some IteratorProtocol<FiringAlert> {
        slots.lazy.compactMap { $0 }.makeIterator()
    }

    public static func == (lhs: FiringAlerts, rhs: FiringAlerts) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([FiringAlert].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Array(self))
    }
}
