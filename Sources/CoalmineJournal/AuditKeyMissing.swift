/// A journal whose entries are keyed, opened without its key: new entries could not join its chain.
public struct AuditKeyMissing: Error, CustomStringConvertible {
    public var keyedFrom: Int64

    public var description: String {
        "the journal's entries are keyed from sequence \(keyedFrom) on; its key (store.audit.keyFile) is needed"
    }
}
