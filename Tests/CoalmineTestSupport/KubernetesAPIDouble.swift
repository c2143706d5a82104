import CoalmineCore
import CoalmineKubernetes
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The Kubernetes API server as far as Coalmine uses it, on 127.0.0.1: GET and PATCH of VirtualServices and
/// HTTPRoutes with the real server's rules — `resourceVersion` bumped on every write, JSON Patch with `test`
/// (a failed test is 422 Invalid), a stale resourceVersion is 409 Conflict, an unsupported patch type 415, a
/// missing or unknown token 401, and Istio's validating webhook refusing weights that do not sum to 100 (403).
/// A test can inject 500s, a concurrent writer and rotate tokens. The only stand-in the project allows: keep it
/// as strict as the real server.
public final class KubernetesAPIDouble: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var contentType: String?
        public var authorization: String?
        public var body: Data
        public var receivedAt: ContinuousClock.Instant
    }

    struct State {
        var objects: [String: JSONValue] = [:]
        var nextResourceVersion = 1000
        var tokens: Set<String> = []
        var servedIstioVersions: Set<String> = ["v1", "v1beta1"]
        var failNext: [Int] = []
        var stallNext = 0
        var concurrentWrites = 0
        var requests: [Request] = []
        var clientCertificatesAuthenticate = false
        var pruneRuleNames = false
        var observer: (@Sendable (Request) -> Void)?
        var arrivalObserver: (@Sendable (_ method: String, _ path: String) -> Void)?
    }

    private let state = Mutex(State())

    public init(tokens: Set<String> = ["test-token"]) {
        state.withLock { $0.tokens = tokens }
    }

    // MARK: what a test sets up and looks at

    /// Stores an object given as JSON; `plural` is `virtualservices` or `httproutes`.
    public func put(_ plural: String, namespace: String, name: String, json: String) throws {
        var object = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        state.withLock { state in
            if plural == "httproutes", state.pruneRuleNames { object = Self.withoutRuleNames(object) }
            object = Self.setting(object, resourceVersion: String(state.nextResourceVersion))
            state.nextResourceVersion += 1
            state.objects[Self.key(plural, namespace, name)] = object
        }
    }

    public func object(_ plural: String, namespace: String, name: String) -> JSONValue? {
        state.withLock { $0.objects[Self.key(plural, namespace, name)] }
    }

    /// Changes an object as someone else would (a GitOps sync, a hand edit), bumping its resourceVersion.
    public func edit(_ plural: String, namespace: String, name: String, _ change: (JSONValue) throws -> JSONValue) rethrows {
        try state.withLock { state in
            let key = Self.key(plural, namespace, name)
            guard let current = state.objects[key] else { return }
            state.objects[key] = Self.setting(try change(current), resourceVersion: String(state.nextResourceVersion))
            state.nextResourceVersion += 1
        }
    }

    public func acceptOnly(tokens: Set<String>) { state.withLock { $0.tokens = tokens } }
    public func serveIstio(versions: Set<String>) { state.withLock { $0.servedIstioVersions = versions } }
    /// As an API server with the Gateway API's standard-channel CRDs before rule names (v1.1): it drops
    /// `spec.rules[].name` from what it stores, as a structural schema prunes unknown fields.
    public func pruneHTTPRouteRuleNames() { state.withLock { $0.pruneRuleNames = true } }
    /// The next requests answer these statuses instead of being served.
    public func fail(next statuses: [Int]) { state.withLock { $0.failNext += statuses } }
    /// The next `count` requests get a head at once and a body that never ends.
    public func stall(next count: Int) { state.withLock { $0.stallNext += count } }
    /// The next `count` PATCHes find that someone else wrote the object just before them.
    public func writeConcurrently(beforeNextPatches count: Int) { state.withLock { $0.concurrentWrites += count } }
    public var requests: [Request] { state.withLock { $0.requests } }
    /// Calls `observer` with each request as it arrives, before it is served.
    public func onRequest(_ observer: @escaping @Sendable (Request) -> Void) { state.withLock { $0.observer = observer } }
    /// Calls `observer` with each request's method and path as soon as its head is decoded, before it is routed,
    /// its body read or it is served: when it reached the server.
    public func onRequestArrival(_ observer: @escaping @Sendable (_ method: String, _ path: String) -> Void) {
        state.withLock { $0.arrivalObserver = observer }
    }

    // MARK: serving

    /// Serves until `body` returns; `body` gets the base URL. With `tls`, serves HTTPS; when `tls` requires
    /// client certificates, a request that passed the handshake is authenticated by its certificate, as with the
    /// real server's client-certificate authentication.
    public func run<Value: Sendable>(
        tls: TLSConfiguration? = nil, _ body: @Sendable (String) async throws -> Value
    ) async throws -> Value {
        state.withLock { $0.clientCertificatesAuthenticate = tls.map { $0.certificateVerification != .none } ?? false }
        let router = Router()
        router.get("/apis/:group/:version/namespaces/:namespace/:plural/:name") { request, context in
            try await self.serve(request, context: context)
        }
        router.patch("/apis/:group/:version/namespaces/:namespace/:plural/:name") { request, context in
            try await self.serve(request, context: context)
        }
        var logger = Logger(label: "kubernetes-api-double")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            RequestArrivalHandler { [self] method, path in state.withLock { $0.arrivalObserver }?(method, path) }
        ])
        let app = Application(
            router: router,
            server: try tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0) } ?? .http1(configuration: http1),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                let value = try await body("\(tls == nil ? "http" : "https")://127.0.0.1:\(port)")
                await services.triggerGracefulShutdown()
                return value
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    private func serve(_ request: Hummingbird.Request, context: BasicRequestContext) async throws -> Response {
        let parameters = context.parameters
        let group = parameters.get("group") ?? ""
        let version = parameters.get("version") ?? ""
        let namespace = parameters.get("namespace") ?? ""
        let plural = parameters.get("plural") ?? ""
        let name = parameters.get("name") ?? ""
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        let contentType = request.headers[.contentType]
        let authorization = request.headers[.authorization]
        let received = KubernetesAPIDouble.Request(
            method: request.method.rawValue, path: request.uri.path, contentType: contentType,
            authorization: authorization, body: body, receivedAt: .now)
        let observer = state.withLock { state in
            state.requests.append(received)
            return state.observer
        }
        observer?(received)
        return state.withLock { state -> Response in
            if state.stallNext > 0 {
                state.stallNext -= 1
                return StalledResponse.make()
            }
            if !state.failNext.isEmpty {
                let code = state.failNext.removeFirst()
                return Self.status(code, reason: "InternalError", "injected failure")
            }
            let tokenAccepted =
                authorization.map { $0.hasPrefix("Bearer ") && state.tokens.contains(String($0.dropFirst("Bearer ".count))) }
                ?? false
            guard tokenAccepted || state.clientCertificatesAuthenticate else {
                return Self.status(401, reason: "Unauthorized", "Unauthorized")
            }
            let served: Bool =
                switch (group, plural) {
                case ("networking.istio.io", "virtualservices"): state.servedIstioVersions.contains(version)
                case ("gateway.networking.k8s.io", "httproutes"): version == "v1"
                default: false
                }
            guard served else { return Self.status(404, reason: "NotFound", "the server could not find the requested resource") }
            let key = Self.key(plural, namespace, name)
            let resource = "\(plural).\(group)"
            guard var object = state.objects[key] else {
                return Self.status(404, reason: "NotFound", "\(resource) \"\(name)\" not found")
            }
            guard request.method == .patch else { return Self.json(object) }

            if state.concurrentWrites > 0 {
                state.concurrentWrites -= 1
                object = Self.setting(object, resourceVersion: String(state.nextResourceVersion))
                state.nextResourceVersion += 1
                state.objects[key] = object
            }
            let patched: JSONValue
            switch contentType?.split(separator: ";").first.map(String.init) {
            case "application/json-patch+json":
                guard let operations = try? JSONDecoder().decode([JSONPatchOperation].self, from: body) else {
                    return Self.status(400, reason: "BadRequest", "the body is not a JSON Patch")
                }
                do {
                    patched = try JSONPatchApplier.apply(operations, to: object)
                } catch {
                    return Self.status(422, reason: "Invalid", "the server rejected our request due to an error in our request: \((error as? JSONPatchApplier.Failure)?.message ?? "\(error)")")
                }
            case "application/merge-patch+json":
                guard let patch = try? JSONDecoder().decode(JSONValue.self, from: body) else {
                    return Self.status(400, reason: "BadRequest", "the body is not JSON")
                }
                patched = JSONPatchApplier.merge(patch, into: object)
            default:
                return Self.status(
                    415, reason: "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            guard patched["metadata"]?["resourceVersion"] == object["metadata"]?["resourceVersion"] else {
                return Self.status(
                    409, reason: "Conflict",
                    "Operation cannot be fulfilled on \(resource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again")
            }
            if plural == "virtualservices", let denial = Self.istioValidation(patched) {
                return Self.status(403, reason: "Forbidden", "admission webhook \"validation.istio.io\" denied the request: \(denial)")
            }
            var pruned = patched
            if plural == "httproutes", state.pruneRuleNames { pruned = Self.withoutRuleNames(patched) }
            let stored = Self.setting(pruned, resourceVersion: String(state.nextResourceVersion))
            state.nextResourceVersion += 1
            state.objects[key] = stored
            return Self.json(stored)
        }
    }

    /// What Istio's validating webhook says about route weights: within a route, weights sum to 100.
    static func istioValidation(_ object: JSONValue) -> String? {
        for (index, http) in (object["spec"]?["http"]?.array ?? []).enumerated() {
            let destinations = http["route"]?.array ?? []
            let weights = destinations.compactMap { $0["weight"]?.int }
            if !weights.isEmpty, weights.reduce(0, +) != 100 {
                return "configuration is invalid: http[\(index)]: total destination weight \(weights.reduce(0, +)) != 100"
            }
        }
        return nil
    }

    static func key(_ plural: String, _ namespace: String, _ name: String) -> String { "\(plural)/\(namespace)/\(name)" }

    static func withoutRuleNames(_ object: JSONValue) -> JSONValue {
        guard case .object(var root) = object, case .object(var spec)? = root["spec"], case .array(let rules)? = spec["rules"]
        else { return object }
        spec["rules"] = .array(rules.map { rule in
            guard case .object(var fields) = rule else { return rule }
            fields["name"] = nil
            return .object(fields)
        })
        root["spec"] = .object(spec)
        return .object(root)
    }

    static func setting(_ object: JSONValue, resourceVersion: String) -> JSONValue {
        guard case .object(var fields) = object else { return object }
        var metadata: [String: JSONValue] = [:]
        if case .object(let existing)? = fields["metadata"] { metadata = existing }
        metadata["resourceVersion"] = .string(resourceVersion)
        fields["metadata"] = .object(metadata)
        return .object(fields)
    }

    static func json(_ object: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder().encode(object)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func status(_ code: Int, reason: String, _ message: String) -> Response {
        json(
            .object([
                "kind": .string("Status"), "apiVersion": .string("v1"), "status": .string("Failure"),
                "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
            ]), status: HTTPResponse.Status(code: code))
    }
}
