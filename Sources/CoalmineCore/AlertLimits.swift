/// How much of one alert Coalmine keeps. Alerts are never refused for their size (Alertmanager does not retry a
/// 4xx, so a refused breaker alert would be lost); what is too long is cut, visibly, before it is journaled, sent
/// or shown.
public struct AlertLimits: Equatable, Sendable {
    /// Label and annotation values longer than this many UTF-8 bytes are cut, ending in `TextLimit.marker`.
    public var valueBytes = 4096
    /// Labels kept per alert, the first ones in sorted order.
    public var labelsPerAlert = 64
    /// Firing alerts written in full into each `transition` entry; the rest are counted. The exact set lives in
    /// the store's table of firing alerts, so a transition's size does not grow with a storm.
    public var firingAlertsShown = 50

    public init() {}
}

extension AlertObservation {
    /// The alert as it is kept: values cut to `limits.valueBytes`, labels to the first `limits.labelsPerAlert` in
    /// sorted order, and how many labels were left out. Classify the alert before this: the label that routes it
    /// may be one of those left out.
    public func bounded(by limits: AlertLimits) -> (alert: AlertObservation, labelsNotKept: Int) {
        var kept = self
        let labelsNotKept = max(0, labels.count - limits.labelsPerAlert)
        if labelsNotKept > 0 {
            kept.labels = Dictionary(uniqueKeysWithValues: labels.sorted { $0.key < $1.key }.prefix(limits.labelsPerAlert).map { ($0.key, $0.value) })
        }
        // Almost every alert is within the limits: it keeps its own dictionaries rather than copies of them.
        let isLong = { (value: String) in value.utf8.count > limits.valueBytes }
        if kept.labels.values.contains(where: isLong) {
            kept.labels = kept.labels.mapValues { TextLimit.utf8Bytes($0, limits.valueBytes) }
        }
        if annotations.values.contains(where: isLong) {
            kept.annotations = annotations.mapValues { TextLimit.utf8Bytes($0, limits.valueBytes) }
        }
        return (kept, labelsNotKept)
    }
}
