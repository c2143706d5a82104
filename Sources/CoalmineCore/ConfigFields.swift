/// Reads the keys of one mapping and remembers which were read, so that every key nobody asked for is
/// reported: a typo must not silently switch off a safety rule.
struct ConfigFields {
    let path: String
    private let entries: [ConfigEntry]
    private var read: Set<String> = []

    init(path: String, entries: [ConfigEntry]) {
        self.path = path
        self.entries = entries
    }

    func pathOf(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value under `key`, or nil when absent. An explicit `null` comes back as `.null`.
    mutating func take(_ key: String) -> ConfigValue? {
        read.insert(key)
        return entries.first { $0.key == key }?.value
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    var unreadKeys: [String] {
        var seen: Set<String> = []
        return entries.map(\.key).filter { !read.contains($0) && seen.insert($0).inserted }
    }

    var duplicateKeys: [String] {
        var seen: Set<String> = []
        var duplicates: [String] = []
        for entry in entries where !seen.insert(entry.key).inserted && !duplicates.contains(entry.key) {
            duplicates.append(entry.key)
        }
        return duplicates
    }
}
