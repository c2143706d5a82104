import CoalmineCore
import Logging

/// Sets a rollout's weights on a VirtualService or HTTPRoute with a guarded JSON Patch of just those two
/// fields, re-reading and re-planning when the object changed under it, and reading back what it wrote.
struct WeightedRouteRouter: Sendable {
    let client: KubernetesClient
    let layout: RouteLayout
    let logger: Logger
    /// How many times a write is re-planned after a conflict before the effect fails (and the core retries later).
    var maxAttempts = 5

    let lastReads = LastReadRoutes()

    func read(_ rollout: RolloutSpec, at path: String) async throws -> WeightedRoute {
        let route = try layout.locate(in: try await client.get(path), for: rollout)
        lastReads.remember(route, at: path)
        return route
    }

    func apply(_ split: WeightSplit, to rollout: RolloutSpec, at path: String) async throws -> WeightSplit {
        var attempt = 0
        // Planned from the last read when there is one: the patch's resourceVersion test refuses it if the object
        // changed since, and then it is planned again from a fresh read, at once. Never weights written on a
        // stale object.
        var lastRead = lastReads.take(path)
        while true {
            let planned = lastRead != nil
            let route: WeightedRoute
            if let lastRead { route = lastRead } else { route = try await read(rollout, at: path) }
            lastRead = nil
            do {
                _ = try await client.patch(path, route.patch(for: split))
                break
            } catch let error as KubernetesError where error.isConflict && planned {
                continue
            } catch let error as KubernetesError where error.isConflict && attempt + 1 < maxAttempts {
                attempt += 1
                logger.info(
                    "\(rollout.objectKind) changed while writing weights; reading it again",
                    metadata: ["rollout": "\(rollout.name)", "run": "\(split.run)", "error": "\(error)"])
                let base = 100 * (1 << min(attempt, 5))
                try await Task.sleep(for: .milliseconds(Int.random(in: base / 2...base)))
            }
        }
        let found = try await read(rollout, at: path)
        guard found.canaryWeight == split.canary, found.stableWeight == split.stable, found.headerMatch == split.headerRoute
        else {
            throw ReadBackMismatch(
                intendedCanaryWeight: split.canary, foundCanaryWeight: found.canaryPercent,
                intendedHeaderRoute: split.headerRoute, foundHeaderRoute: found.headerMatch)
        }
        return split
    }

    func inspect(_ rollout: RolloutSpec, at path: String) async throws -> RouteInspection {
        let route = try await read(rollout, at: path)
        return RouteInspection(
            path: path, entryIndex: route.entryIndex, entryNoun: layout.entryNoun, stableWeight: route.stableWeight,
            canaryWeight: route.canaryWeight)
    }

    func traffic(of rollout: RolloutSpec, at path: String) async throws -> TrafficReading? {
        let route = try await read(rollout, at: path)
        return TrafficReading(canaryWeight: route.canaryPercent, headerRoute: route.headerMatch)
    }
}

/// What a read-only check found for a rollout: which entry of which object, and its weights now.
public struct RouteInspection: Sendable, CustomStringConvertible {
    public var path: String
    public var entryIndex: Int
    public var entryNoun: String
    public var stableWeight: Int64
    public var canaryWeight: Int64

    public var description: String {
        "\(path): \(entryNoun) \(entryIndex) holds both versions, weights stable \(stableWeight) / canary \(canaryWeight)"
    }
}
