/// One alert as a webhook reported it, reduced to what the rollout machine and the journal need.
public struct AlertObservation: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        case firing
        case resolved
    }

    public var status: Status
    public var fingerprint: String
    /// `startsAt` exactly as the sender wrote it: together with the fingerprint it names one firing episode.
    public var startsAt: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(
        status: Status, fingerprint: String, startsAt: String, labels: [String: String],
        annotations: [String: String] = [:]
    ) {
        self.status = status
        self.fingerprint = fingerprint
        self.startsAt = startsAt
        self.labels = labels
        self.annotations = annotations
    }

    public var name: String { labels["alertname"] ?? "(unnamed alert)" }

    /// The key under which a delivery counts as already seen: Alertmanager re-sends whole groups on every
    /// `group_interval` and both peers of an HA pair deliver, and none of that may act twice.
    public var deliveryKey: AlertDeliveryKey {
        AlertDeliveryKey(fingerprint: fingerprint, startsAt: startsAt, status: status)
    }

    /// A stable stand-in for senders that omit `fingerprint`: the sorted label set.
    public static func fingerprint(ofLabels labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// One delivery of an alert, as remembered to recognise repeats. Its hash is worked out once: the engine keeps
/// hundreds of thousands of these in one dictionary, where a lookup compares the key with several others (all
/// fingerprints the same length, so each comparison read both strings) and a growth hashes every key again.
public struct AlertDeliveryKey: Hashable, Codable, Sendable {
    public let fingerprint: String
    public let startsAt: String
    public let status: AlertObservation.Status
    /// The hash of fingerprint and start, shared by the firing and the resolution of one episode.
    private let episodeDigest: Int
    private let digest: Int

    public init(fingerprint: String, startsAt: String, status: AlertObservation.Status) {
        var hasher = Hasher()
        hasher.combine(fingerprint)
        hasher.combine(startsAt)
        self.init(fingerprint: fingerprint, startsAt: startsAt, status: status, episodeDigest: hasher.finalize())
    }

    private init(fingerprint: String, startsAt: String, status: AlertObservation.Status, episodeDigest: Int) {
        self.fingerprint = fingerprint
        self.startsAt = startsAt
        self.status = status
        self.episodeDigest = episodeDigest
        // Dictionaries hash this again; the status only has to tell the two apart.
        digest = status == .firing ? episodeDigest : ~episodeDigest
    }

    /// The same episode's delivery with `status`, without hashing its strings again.
    public func with(status: AlertObservation.Status) -> AlertDeliveryKey {
        AlertDeliveryKey(fingerprint: fingerprint, startsAt: startsAt, status: status, episodeDigest: episodeDigest)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.digest == rhs.digest && lhs.fingerprint == rhs.fingerprint && lhs.startsAt == rhs.startsAt
            && lhs.status == rhs.status
    }

    private enum CodingKeys: String, CodingKey {
        case fingerprint, startsAt, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            fingerprint: try container.decode(String.self, forKey: .fingerprint),
            startsAt: try container.decode(String.self, forKey: .startsAt),
            status: try container.decode(AlertObservation.Status.self, forKey: .status))
    }
}
