import CoalmineCore
import Crypto
import Foundation
import HTTPTypes

/// The secrets the HTTP edge checks, read from their files at start.
public struct Credentials: Sendable {
    public enum Webhook: Sendable {
        case bearer(token: String)
        case basic(username: String, password: String)
    }

    public var webhook: Webhook
    public var apiToken: String
    public var grafanaSignatureSecret: String?
    public var grafanaTimestampHeader: String?
    /// The secret the sign-in proxy adds (`server.actions.trustedProxy.secretFile`).
    public var trustedProxySecret: String?

    public init(
        webhook: Webhook, apiToken: String, grafanaSignatureSecret: String? = nil, grafanaTimestampHeader: String? = nil,
        trustedProxySecret: String? = nil
    ) {
        self.webhook = webhook
        self.trustedProxySecret = trustedProxySecret
        self.apiToken = apiToken
        self.grafanaSignatureSecret = grafanaSignatureSecret
        self.grafanaTimestampHeader = grafanaTimestampHeader
    }

    func acceptsWebhook(_ headers: HTTPFields) -> Bool {
        guard let authorization = headers[.authorization] else { return false }
        switch webhook {
        case .bearer(let token):
            return Self.constantTimeEquals(authorization, "Bearer \(token)")
        case .basic(let username, let password):
            let expected = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
            return Self.constantTimeEquals(authorization, expected)
        }
    }

    func acceptsAPI(_ headers: HTTPFields) -> Bool {
        guard let authorization = headers[.authorization] else { return false }
        return Self.constantTimeEquals(authorization, "Bearer \(apiToken)")
    }

    /// Grafana's `X-Grafana-Alerting-Signature`: hex HMAC-SHA256 of the body, or of `timestamp:body` when Grafana
    /// is set to send a timestamp header. Nil when it checks out (or no secret is configured), else what is wrong.
    /// A signed timestamp more than `grafanaTimestampTolerance` from `now` is refused: a recorded delivery must
    /// not be replayable.
    func grafanaSignatureProblem(_ headers: HTTPFields, body: [UInt8], now: Timestamp) -> String? {
        guard let secret = grafanaSignatureSecret else { return nil }
        let wrong = "missing or wrong X-Grafana-Alerting-Signature"
        guard let name = HTTPField.Name("X-Grafana-Alerting-Signature"), let signature = headers[name] else {
            return wrong
        }
        var message = body
        var signedAt: Timestamp?
        if let timestampHeader = grafanaTimestampHeader {
            guard let timestampName = HTTPField.Name(timestampHeader), let timestamp = headers[timestampName] else {
                return "missing \(timestampHeader)"
            }
            guard let number = Int64(timestamp) else { return "\(timestampHeader) is not a Unix time: '\(timestamp)'" }
            // Unix seconds; a value this large can only be milliseconds.
            signedAt = Timestamp(millisecondsSinceEpoch: number > 100_000_000_000 ? number : number * 1000)
            message = Array((timestamp + ":").utf8) + body
        }
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        guard Self.constantTimeEquals(signature.lowercased(), expected) else { return wrong }
        if let signedAt, abs(now.since(signedAt).wholeMilliseconds) > Self.grafanaTimestampTolerance.wholeMilliseconds {
            return "the signed \(grafanaTimestampHeader ?? "timestamp") \(signedAt.rfc3339) is more than 5 minutes from"
                + " this server's time \(now.rfc3339): a replayed delivery, or a clock to fix"
        }
        return nil
    }

    static let grafanaTimestampTolerance = Duration.seconds(300)

    /// Compares without returning early, so response time says nothing about how much of a guess was right.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
