import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import Foundation
import Hummingbird
import NIOCore
import HummingbirdCore

/// `/api/v1/rollouts...`: what operators, the CLI and scripts use. Bearer API token on every call.
struct OperatorAPIRoutes {
    let engine: RolloutEngine
    let credentials: Credentials

    struct ActionRequest: Decodable {
        var actor: String?
        var reason: String?
        var canaryVersion: String?
        var stableVersion: String?
    }

    struct RolloutList: Encodable {
        var rollouts: [RolloutView]
    }

    struct Refusal: Encodable {
        var error: String
        var state: RolloutPhase
        var reason: PhaseReason?
        var allowedActions: [HumanAction]
    }

    func register(on router: Router<CoalmineRequestContext>) {
        let api = router.group("api/v1/rollouts")
        api.get { request, _ in
            await guarded(request) { APIResponse.json(RolloutList(rollouts: try await engine.views())) }
        }
        api.get(":name") { request, context in
            await guarded(request) {
                let name = try context.parameters.require("name")
                return APIResponse.json(try await engine.view(of: name))
            }
        }
        api.get(":name/history") { request, context in
            await guarded(request) {
                let name = try context.parameters.require("name")
                let (before, limit) = try Self.historyPaging(request.uri)
                return try historyResponse(name: name, page: try await engine.history(of: name, before: before, limit: limit))
            }
        }
        api.post(":name/alerts/:fingerprint/clear") { request, context in
            await guarded(request) {
                let name = try context.parameters.require("name")
                let fingerprint = try context.parameters.require("fingerprint")
                let body = try await actionRequest(request)
                guard let reason = body.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw RequestRejection(
                        status: .badRequest,
                        message: "reason is required: say why this alert is over although no resolution arrived"
                            + " (e.g. {\"reason\":\"resolved notification lost in the Alertmanager migration\"})")
                }
                return APIResponse.json(
                    try await engine.clearAlert(fingerprint, of: name, actor: body.actor ?? "api", reason: reason))
            }
        }
        api.post(":name/:action") { request, context in
            await guarded(request) {
                let name = try context.parameters.require("name")
                let actionName = try context.parameters.require("action")
                guard let action = HumanAction(rawValue: actionName) else {
                    let known = HumanAction.allCases.map(\.rawValue).joined(separator: ", ")
                    throw RequestRejection(status: .notFound, message: "unknown action '\(actionName)'; one of: \(known)")
                }
                let body = try await actionRequest(request)
                let command = HumanCommand(
                    action, actor: body.actor ?? "api", reason: body.reason, canaryVersion: body.canaryVersion,
                    stableVersion: body.stableVersion)
                return APIResponse.json(try await engine.perform(command, on: name))
            }
        }
    }

    /// Checks the token, runs `body`, and turns engine errors into their statuses.
    private func guarded(_ request: Request, _ body: () async throws -> Response) async -> Response {
        guard credentials.acceptsAPI(request.headers) else {
            return APIResponse.missingAPIToken
        }
        do {
            return try await body()
        } catch let error as EngineError {
            switch error {
            case .unknownRollout: return APIResponse.error(.notFound, error.description)
            case .refused(let refusal):
                return APIResponse.json(
                    Refusal(
                        error: refusal.description, state: refusal.phase, reason: refusal.reason,
                        allowedActions: refusal.allowedActions), status: .conflict)
            case .journalUnavailable: return APIResponse.error(.serviceUnavailable, error.description + "; retry later")
            case .alertNotFiring: return APIResponse.error(.conflict, error.description)
            }
        } catch {
            return error.response
        }
    }

    /// An action's body is a few short strings; anything near this is not one.
    static let maxBodyBytes = 64 * 1024

    private func actionRequest(_ request: Request) async throws -> ActionRequest {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw RequestRejection(
                status: .contentTooLarge, message: "the body exceeds \(Self.maxBodyBytes) bytes; an action takes a small JSON object")
        }
        guard body.readableBytes > 0 else { return ActionRequest() }
        try WebhookRoutes.requireJSON(request)
        do {
            return try JSONDecoder().decode(ActionRequest.self, from: Data(buffer: body))
        } catch {
            throw RequestRejection(
                status: .badRequest,
                message: "the body must be a JSON object with optional string fields actor, reason, canaryVersion,"
                    + " stableVersion")
        }
    }

    static let defaultHistoryLimit = 200
    static let maxHistoryLimit = 1000

    /// `?limit=N&before=SEQ`: limit 1 to 1000 (default 200), before a positive sequence.
    static func historyPaging(_ uri: URI) throws -> (before: Int64?, limit: Int) {
        let query = uri.queryParameters
        var limit = defaultHistoryLimit
        if let text = query["limit"].map(String.init) {
            guard let value = Int(text), (1...maxHistoryLimit).contains(value) else {
                throw RequestRejection(
                    status: .badRequest, message: "limit must be a whole number from 1 to \(maxHistoryLimit), found '\(text)'")
            }
            limit = value
        }
        var before: Int64?
        if let text = query["before"].map(String.init) {
            guard let value = Int64(text), value > 0 else {
                throw RequestRejection(
                    status: .badRequest,
                    message: "before must be a journal sequence (a whole number above 0, the 'next' of a page), found '\(text)'")
            }
            before = value
        }
        return (before, limit)
    }

    /// A page of entries with their bodies embedded as JSON objects, oldest first, and `next` for the older page.
    private func historyResponse(name: String, page: HistoryPage) throws -> Response {
        let objects: [[String: Any]] = page.entries.map { entry in
            [
                "sequence": entry.sequence, "recordedAt": entry.recordedAt.rfc3339, "rollout": entry.rollout,
                "run": entry.run, "kind": entry.kind.rawValue,
                "body": (try? JSONSerialization.jsonObject(with: Data(entry.body.utf8))) ?? entry.body,
                "hash": entry.hash, "previousHash": entry.previousHash,
            ]
        }
        let data = try JSONSerialization.data(
            withJSONObject: ["rollout": name, "entries": objects, "next": page.next.map { $0 as Any } ?? NSNull()],
            options: [.sortedKeys, .withoutEscapingSlashes])
        return APIResponse.json(data: data, status: .ok)
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self.init(buffer.readableBytesView)
    }
}
