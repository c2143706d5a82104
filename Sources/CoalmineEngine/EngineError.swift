import CoalmineCore

/// Why the engine did not do what was asked.
public enum EngineError: Error, CustomStringConvertible {
    case unknownRollout(String, known: [String])
    case refused(ActionRefusal)
    case alertNotFiring(String, rollout: String, firing: [String])
    /// The journal could not commit; nothing changed. Callers answer 503 so senders retry.
    case journalUnavailable(String)

    public var description: String {
        switch self {
        case .unknownRollout(let name, let known):
            "no rollout is named '\(name)'; configured: \(known.joined(separator: ", "))"
        case .refused(let refusal): "\(refusal)"
        case .alertNotFiring(let fingerprint, let rollout, let firing):
            "no alert with fingerprint \(fingerprint) fires for rollout \(rollout); firing now: "
                + (firing.isEmpty ? "none" : firing.joined(separator: ", "))
        case .journalUnavailable(let detail): "the journal cannot commit: \(detail)"
        }
    }
}
