import CoalmineCore
import CoalmineEngine
import Crypto
import Foundation
import HTTPTypes

/// Dashboard sessions without server-side state: the cookie holds who signed in and until when, with an HMAC
/// under a key derived from the link signing key, which every replica shares, so a session survives restarts and
/// failovers. Each session has a CSRF token of its own (an HMAC of the cookie) that every form must carry.
struct DashboardSessions: Sendable {
    struct Session: Equatable, Sendable {
        /// Recorded as the actor of what is done in the session.
        var actor: String
        var expiresAt: Timestamp
        /// The value every form of this session carries.
        var csrf: String
    }

    static let cookieName = "coalmine_session"
    private let key: SymmetricKey
    let lifetime: Duration
    /// `Secure` on the cookie when the dashboard is served over https.
    let secure: Bool

    init(signer: ActionSigner, lifetime: Duration = .seconds(12 * 3600), secure: Bool) {
        key = signer.derivedKey(for: "coalmine dashboard sessions")
        self.lifetime = lifetime
        self.secure = secure
    }

    /// A new session for `actor`: the `Set-Cookie` value and the session it stands for.
    func start(actor: String, now: Timestamp) -> (setCookie: String, session: Session) {
        let expiresAt = now + lifetime
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let payload = Base64URL.encode(Data("v1\n\(expiresAt.millisecondsSinceEpoch)\n\(nonce)\n\(actor)".utf8))
        let value = "\(payload).\(mac(payload))"
        let attributes = "Path=/; HttpOnly; SameSite=Strict; Max-Age=\(lifetime.components.seconds)" + (secure ? "; Secure" : "")
        return ("\(Self.cookieName)=\(value); \(attributes)", Session(actor: actor, expiresAt: expiresAt, csrf: csrf(for: value)))
    }

    /// The `Set-Cookie` value that ends a session in the browser.
    var endCookie: String {
        "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (secure ? "; Secure" : "")
    }

    /// The session a request's cookies carry, if one is valid now.
    func session(in headers: HTTPFields, now: Timestamp) -> Session? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0] == Self.cookieName else { continue }
                if let session = session(fromCookie: String(parts[1]), now: now) { return session }
            }
        }
        return nil
    }

    private func session(fromCookie value: String, now: Timestamp) -> Session? {
        let parts = value.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, Credentials.constantTimeEquals(parts[1], mac(parts[0])),
            let decoded = Base64URL.decode(parts[0]), let text = String(data: decoded, encoding: .utf8)
        else { return nil }
        let fields = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, fields[0] == "v1", let expires = Int64(fields[1]) else { return nil }
        let expiresAt = Timestamp(millisecondsSinceEpoch: expires)
        guard now < expiresAt else { return nil }
        return Session(actor: fields[3], expiresAt: expiresAt, csrf: csrf(for: value))
    }

    private func csrf(for cookie: String) -> String { mac("csrf\n" + cookie) }

    /// The CSRF token of a reader the sign-in proxy vouches for (no session cookie): bound to who they are.
    func csrf(forProxied person: String) -> String { mac("proxied\n" + person) }

    private func mac(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }
}
