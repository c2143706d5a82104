/// A shared key whose id is not the one the journal recorded: this process holds another key than the processes
/// that wrote the journal before it.
public struct SharedKeyDiffers: Error, CustomStringConvertible, Equatable {
    public var key: SharedKey
    /// The id on record in the journal.
    public var recorded: String
    /// The id of the key this process was given.
    public var given: String

    public init(key: SharedKey, recorded: String, given: String) {
        self.key = key
        self.recorded = recorded
        self.given = given
    }

    public var description: String {
        switch key {
        case .audit:
            "the audit key differs from the journal's (key id \(given), the journal's \(recorded)): every replica and"
                + " auditor needs the same \(key.configKey)"
        case .linkSigning:
            "the link signing key differs from the journal's (key id \(given), the journal's \(recorded)): every"
                + " replica needs the same \(key.configKey); to rotate it, list the old key's file in"
                + " server.actions.previousKeyFiles"
        }
    }
}
