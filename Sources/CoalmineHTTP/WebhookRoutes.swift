import CoalmineCore
import CoalmineEngine
import Foundation
import Hummingbird
import Metrics
import NIOCore

/// `POST /hooks/alertmanager` and `POST /hooks/grafana`: authenticate, decode, hand to the engine, and answer
/// 200 only once the engine has committed. 4xx for what the sender must fix (it will not retry those), 503 for
/// what may pass (Alertmanager retries 5xx).
struct WebhookRoutes {
    let engine: RolloutEngine
    let credentials: Credentials
    let maxBodyBytes: Int
    let metricsFactory: any MetricsFactory
    let clock: @Sendable () -> Timestamp

    func register(on router: Router<CoalmineRequestContext>) {
        router.post("/hooks/alertmanager") { request, context in
            await answer(request, context: context, endpoint: "alertmanager", version: "4", sender: "Alertmanager")
        }
        router.post("/hooks/grafana") { request, context in
            await answer(request, context: context, endpoint: "grafana", version: "1", sender: "Grafana")
        }
    }

    private func answer(
        _ request: Request, context: CoalmineRequestContext, endpoint: String, version: String, sender: String
    ) async -> Response {
        let response: Response
        do {
            response = try await handle(request, context: context, endpoint: endpoint, version: version, sender: sender)
        } catch {
            response = error.response
        }
        Counter(
            label: "coalmine_webhook_requests_total",
            dimensions: [("endpoint", endpoint), ("code", String(response.status.code))], factory: metricsFactory
        ).increment()
        return response
    }

    private func handle(
        _ request: Request, context: CoalmineRequestContext, endpoint: String, version: String, sender: String
    ) async throws(RequestRejection) -> Response {
        guard credentials.acceptsWebhook(request.headers) else {
            throw RequestRejection(
                status: .unauthorized, message: "missing or wrong credentials for /hooks/\(endpoint)",
                headers: [.wwwAuthenticate: "Bearer realm=\"coalmine\""])
        }
        try Self.requireJSON(request)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw RequestRejection(
                status: .contentTooLarge, message: "body exceeds server.webhook.maxBodyBytes (\(maxBodyBytes) bytes)")
        } catch {
            throw RequestRejection(status: .badRequest, message: "the body could not be read: \(error)")
        }
        if endpoint == "grafana",
            let problem = credentials.grafanaSignatureProblem(request.headers, body: Array(buffer: body), now: clock())
        {
            throw RequestRejection(status: .unauthorized, message: problem)
        }
        let alerts = try AlertWebhookPayload.decode(body, expectedVersion: version, sender: sender)
        do {
            let intake = try await engine.receive(alerts, source: endpoint)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: intake.jsonBody))
        } catch {
            context.logger.error("webhook not committed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            throw RequestRejection(status: .serviceUnavailable, message: "\(error); retry later")
        }
    }

    static func requireJSON(_ request: Request) throws(RequestRejection) {
        let contentType = request.headers[.contentType] ?? ""
        // What Alertmanager and Grafana send, answered without taking the header apart.
        if contentType == "application/json" { return }
        let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw RequestRejection(
                status: .unsupportedMediaType,
                message: "expected Content-Type application/json, got '\(contentType.isEmpty ? "none" : contentType)'")
        }
    }
}

extension Error {
    /// The answer for an error a handler did not turn into one itself.
    var response: Response {
        if let rejection = self as? RequestRejection { return rejection.response }
        return APIResponse.error(.internalServerError, "\(self)")
    }
}
