import CoalmineCore

/// An answer of the Kubernetes API other than success, with the message of its `Status` body: an Istio admission
/// denial reads as the webhook's reason, not as a bare "forbidden".
public struct KubernetesError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    /// `Status.reason`: `Conflict`, `Invalid`, `NotFound`, `Forbidden`, `Unauthorized`...
    public var reason: String?
    public var message: String

    public var description: String { "\(code) \(reason ?? "error"): \(message)" }

    /// The guard of a guarded write failed (a `test` op, a stale resourceVersion): re-read and plan again.
    public var isConflict: Bool { code == 409 || code == 422 }
}

/// The object or route a rollout names is not there or is ambiguous: a configuration problem that names what
/// was found.
public struct RouteSelectionError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// After a write, the object shows other weights than were written (an admission mutation, a racing writer).
public struct ReadBackMismatch: Error, CustomStringConvertible, Sendable {
    public var intendedCanaryWeight: Int
    public var foundCanaryWeight: Int
    public var intendedHeaderRoute: HeaderMatch?
    public var foundHeaderRoute: HeaderMatch?

    public var description: String {
        var text = "read back canary weight \(foundCanaryWeight) after writing \(intendedCanaryWeight)"
        if intendedHeaderRoute != foundHeaderRoute {
            let found = foundHeaderRoute?.description ?? "none"
            let intended = intendedHeaderRoute?.description ?? "none"
            text += ", header route \(found) after writing \(intended)"
        }
        return text
    }
}
