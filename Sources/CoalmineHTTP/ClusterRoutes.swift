import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import Hummingbird

/// `GET /api/v1/cluster`: the replicas sharing the PostgreSQL journal and which one leads, answered by every
/// replica from the database (API token).
struct ClusterRoutes {
    let journal: PostgresJournal?
    let replica: ReplicaStanding?
    let credentials: Credentials

    struct ClusterBody: Encodable {
        struct Replica: Encodable {
            var id: String
            var advertiseURL: String
            var startedAt: Timestamp
            var lastHeartbeat: Timestamp
            var leader: Bool
        }
        var leader: String?
        var epoch: Int64
        var leaseExpiresAt: Timestamp?
        /// The replica that answered.
        var answeredBy: String
        var replicas: [Replica]

        enum CodingKeys: String, CodingKey { case leader, epoch, leaseExpiresAt, answeredBy, replicas }

        /// `leader` and `leaseExpiresAt` are written as null between leaders, not left out: a script reading them
        /// finds the key either way.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(leader, forKey: .leader)
            try container.encode(epoch, forKey: .epoch)
            try container.encode(leaseExpiresAt, forKey: .leaseExpiresAt)
            try container.encode(answeredBy, forKey: .answeredBy)
            try container.encode(replicas, forKey: .replicas)
        }
    }

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("api/v1/cluster") { request, _ -> Response in
            guard credentials.acceptsAPI(request.headers) else {
                return APIResponse.missingAPIToken
            }
            guard let journal, let replica else {
                return APIResponse.error(
                    .notFound, "no cluster: this Coalmine keeps its journal in SQLite and runs alone (store.postgres lets replicas share one)")
            }
            do {
                let view = try await journal.cluster()
                return APIResponse.json(
                    ClusterBody(
                        leader: view.leader, epoch: view.epoch, leaseExpiresAt: view.leaseExpiresAt,
                        answeredBy: replica.replica,
                        replicas: view.replicas.map {
                            .init(
                                id: $0.id, advertiseURL: $0.advertiseURL, startedAt: $0.startedAt,
                                lastHeartbeat: $0.lastHeartbeat, leader: $0.id == view.leader)
                        }))
            } catch {
                return APIResponse.error(.serviceUnavailable, "cannot read the cluster from PostgreSQL: \(error)")
            }
        }
    }
}
