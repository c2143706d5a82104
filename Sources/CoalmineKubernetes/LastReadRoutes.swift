import Synchronization

/// The route each object held when Coalmine last read it, by API path. The next weight change is planned from it
/// instead of a fresh read: the patch tests the object's resourceVersion, so if anyone wrote the object since,
/// the server refuses the patch and the router reads it again. A rollback then costs the cluster one round trip
/// before the write, not two.
final class LastReadRoutes: Sendable {
    private let routes = Mutex<[String: WeightedRoute]>([:])

    func remember(_ route: WeightedRoute, at path: String) {
        routes.withLock { $0[path] = route }
    }

    /// The last read of `path`, which may no longer be current; forgotten here so that it is planned from once.
    func take(_ path: String) -> WeightedRoute? {
        routes.withLock { $0.removeValue(forKey: path) }
    }
}
