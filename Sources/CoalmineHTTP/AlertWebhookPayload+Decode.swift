import CoalmineCore
import Foundation
import NIOCore

extension AlertWebhookPayload {
    /// Decodes and checks `body`, or throws a rejection naming the first thing wrong with it.
    static func decode(_ body: ByteBuffer, expectedVersion: String, sender: String) throws(RequestRejection)
        -> [AlertObservation]
    {
        let payload: AlertWebhookPayload
        // Read where the body was received: a storm's bodies are not copied first.
        switch body.withUnsafeReadableBytes({ WebhookPayloadScanner.scan($0) }) {
        case .payload(let scanned):
            payload = scanned
        case .nestedTooDeep(let offset):
            throw RequestRejection(
                status: .badRequest,
                message: "malformed \(sender) payload: arrays and objects nested deeper than "
                    + "\(WebhookPayloadScanner.maximumDepth) levels (at byte \(offset))")
        case .declined:
            payload = try decodeExplaining(Array(buffer: body), sender: sender)
        }
        if let version = payload.version, version != expectedVersion {
            throw RequestRejection(
                status: .badRequest,
                message: "unsupported \(sender) payload version '\(version)'; Coalmine reads version \(expectedVersion)")
        }
        var observations: [AlertObservation] = []
        for (index, alert) in payload.alerts.enumerated() {
            guard let status = AlertObservation.Status(rawValue: alert.status) else {
                throw RequestRejection(
                    status: .badRequest,
                    message: "alerts[\(index)].status: expected firing or resolved, found '\(alert.status)'")
            }
            guard Timestamp(rfc3339: alert.startsAt) != nil else {
                throw RequestRejection(
                    status: .badRequest, message: "alerts[\(index)].startsAt: not an RFC 3339 time: '\(alert.startsAt)'")
            }
            if let endsAt = alert.endsAt, !endsAt.isEmpty, Timestamp(rfc3339: endsAt) == nil {
                throw RequestRejection(
                    status: .badRequest, message: "alerts[\(index)].endsAt: not an RFC 3339 time: '\(endsAt)'")
            }
            let fingerprint = alert.fingerprint.flatMap { $0.isEmpty ? nil : $0 }
            observations.append(
                AlertObservation(
                    status: status, fingerprint: fingerprint ?? AlertObservation.fingerprint(ofLabels: alert.labels),
                    startsAt: alert.startsAt, labels: alert.labels, annotations: alert.annotations ?? [:]))
        }
        return observations
    }

    /// Decodes with `JSONDecoder`, whose errors say where the body is wrong: for the bodies the scanner declines.
    static func decodeExplaining(_ body: [UInt8], sender: String) throws(RequestRejection) -> AlertWebhookPayload {
        do {
            return try JSONDecoder().decode(AlertWebhookPayload.self, from: Data(body))
        } catch let error as DecodingError {
            throw RequestRejection(status: .badRequest, message: "malformed \(sender) payload: \(describe(error))")
        } catch {
            throw RequestRejection(status: .badRequest, message: "malformed \(sender) payload: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                .joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue)"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            let location = path(context)
            return location.isEmpty ? "not valid JSON" : "\(location): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
