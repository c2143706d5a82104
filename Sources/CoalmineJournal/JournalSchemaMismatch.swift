/// A journal opened only to be read (`coalmine audit`) whose schema is not the one this build writes. Reading it
/// would mean migrating it first, and an audit must leave the journal as it found it: a newer binary's migration
/// could change tables under the replicas that serve it.
public struct JournalSchemaMismatch: Error, CustomStringConvertible {
    /// Versions this build applies that the journal lacks: an older coalmine served it last.
    public var missing: [String]
    /// Versions the journal has that this build does not know: a newer coalmine served it.
    public var unknown: [String]

    public init(expected: [String], applied: Set<String>) {
        missing = expected.filter { !applied.contains($0) }
        unknown = applied.subtracting(expected).sorted()
    }

    public var isEmpty: Bool { missing.isEmpty && unknown.isEmpty }

    public var description: String {
        if !unknown.isEmpty {
            return "the journal's schema has versions this coalmine does not know (\(unknown.joined(separator: ", "))):"
                + " a newer coalmine serves it; read it with that version"
        }
        return "the journal's schema lacks versions of this coalmine (\(missing.joined(separator: ", "))): an older"
            + " coalmine serves it, and reading it here would migrate it; read it with that version, or start this"
            + " version's `coalmine serve` once, which migrates it"
    }
}
