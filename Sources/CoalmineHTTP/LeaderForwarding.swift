import AsyncHTTPClient
import CoalmineEngine
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTP1

/// On a replica that does not lead, sends every request that reads or changes rollouts to the leader and relays
/// its answer, so any replica can be given to Alertmanager, operators and chat links alike, and a 200 still
/// means the leader made it durable. Health, metrics and the cluster view are answered locally. With no leader
/// known (a failover in progress) or the leader unreachable, the answer is 503 with `Retry-After`: Alertmanager
/// retries and reaches the new leader.
///
/// The leader must see the original client's address (`trustedProxy.cidrs` checks it): the follower passes it in
/// a header with an HMAC under the API token, which every replica shares and no client knows.
struct LeaderForwarding: RouterMiddleware {
    typealias Context = CoalmineRequestContext

    let standing: ReplicaStanding
    let client: HTTPClient
    let apiToken: String
    let maxBodyBytes: Int
    let timeout: Duration

    static let forwardedBy = HTTPField.Name("X-Coalmine-Forwarded-By")!
    static let forwardedPeer = HTTPField.Name("X-Coalmine-Forwarded-Peer")!
    static let forwardedProof = HTTPField.Name("X-Coalmine-Forwarded-Proof")!
    static let localPaths: Set<String> = ["/healthz", "/readyz", "/metrics", "/api/v1/cluster"]
    /// Headers that belong to one connection, not to the request.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "host",
        "content-length",
    ]

    /// A client of its own: a leader that was just killed refuses connections, and the shared client would keep
    /// retrying them until the request's deadline, holding the sender ten seconds for a 503 it could have at once.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let forwarded = request.headers[Self.forwardedBy]
        if let by = forwarded, let peer = request.headers[Self.forwardedPeer], let proof = request.headers[Self.forwardedProof],
            Self.constantTimeEquals(proof, Self.proof(apiToken, by: by, peer: peer, request.method, request.uri.path)),
            let address = try? SocketAddress(ipAddress: peer, port: 0)
        {
            context.remoteAddress = address
        }
        let now = standing.current
        if Self.localPaths.contains(request.uri.path) { return try await next(request, context) }
        if now.isLeader {
            // A leader that slept past its lease (a paused process) must not act on what it knew before.
            guard standing.isWithinLease else { return unavailable("replica \(standing.replica)'s lease lapsed; it is renewing it") }
            return try await next(request, context)
        }
        guard forwarded == nil else {
            // It was sent here as the leader, which this replica no longer is: never passed on a second time.
            return unavailable("replica \(standing.replica) received a forwarded request but does not lead")
        }
        guard let leaderURL = now.leaderURL, let leader = now.leader else {
            return unavailable("no replica leads right now (a failover is under way)")
        }
        return await forward(request, context: context, to: leader, at: leaderURL)
    }

    private func forward(_ request: Request, context: Context, to leader: String, at leaderURL: String) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            return APIResponse.error(.contentTooLarge, "the body is larger than \(maxBodyBytes) bytes")
        }
        var outgoing = HTTPClientRequest(url: leaderURL + request.uri.description)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            guard field.name != Self.forwardedPeer, field.name != Self.forwardedProof else { continue }
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        let peer = context.remoteAddress?.ipAddress ?? ""
        outgoing.headers.replaceOrAdd(name: Self.forwardedBy.rawName, value: standing.replica)
        outgoing.headers.replaceOrAdd(name: Self.forwardedPeer.rawName, value: peer)
        outgoing.headers.replaceOrAdd(
            name: Self.forwardedProof.rawName,
            value: Self.proof(apiToken, by: standing.replica, peer: peer, request.method, request.uri.path))
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        do {
            // The deadline covers the leader's answer up to its head; the body is relayed as it comes, so the
            // dashboard's event stream passes through a follower too.
            let answer = try await client.execute(outgoing, timeout: .init(timeout))
            var headers = HTTPFields()
            for header in answer.headers where !Self.hopByHop.contains(header.name.lowercased()) {
                if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: Int(answer.status.code), reasonPhrase: answer.status.reasonPhrase),
                headers: headers, body: ResponseBody(asyncSequence: answer.body))
        } catch {
            return unavailable("the leader \(leader) at \(leaderURL) did not answer: \(error)")
        }
    }

    private func unavailable(_ why: String) -> Response {
        APIResponse.error(.serviceUnavailable, "\(why); retry in a few seconds", headers: [.retryAfter: "2"])
    }

    static func proof(_ key: String, by replica: String, peer: String, _ method: HTTPRequest.Method, _ path: String) -> String {
        let material = Data("\(replica)\n\(peer)\n\(method.rawValue)\n\(path)".utf8)
        return HMAC<SHA256>.authenticationCode(for: material, using: SymmetricKey(data: Data(key.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        Credentials.constantTimeEquals(left, right)
    }
}
