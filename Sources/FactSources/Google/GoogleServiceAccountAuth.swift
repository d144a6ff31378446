import Core
import Foundation
import HTTP

/// A service account's access to Google APIs: signs a JWT assertion with the account's key, exchanges it at the
/// token endpoint (RFC 7523 JWT bearer grant) and keeps the access token until shortly before it expires. Sends
/// authorised calls through the throttling policy, fetching a new token once when one is refused with a 401.
/// Shared by the Google Workspace source (which acts for an admin, `subject`) and the GCP source (no subject).
struct GoogleServiceAccountAuth: Sendable {
    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    let source: SourceID
    let key: GoogleServiceAccountKey
    /// The user the service account acts as (the JWT's `sub`, domain-wide delegation); nil for the account itself.
    let subject: String?
    let scopes: [String]
    let tokenURL: URL
    let sender: ThrottledSender
    let tokenCache = CachedBearerToken()
    let now: @Sendable () -> Date
    /// What to do about a refused token request, by its OAuth `error` code (`invalid_grant`, `unauthorized_client` …).
    let refusalHints: [String: String]

    /// Sends `method url` with the bearer token; a 401 (a token revoked early) fetches a new token and sends once
    /// more. Returns any answer for the caller to judge; throws only when no answer or no token came.
    func send(_ method: String, _ url: URL, body: Data = Data(), contentType: String? = nil, operation: String) async throws -> HTTPResponse {
        func request() async throws -> HTTPRequest {
            var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(try await accessToken())")]
            if let contentType { headers.append(("Content-Type", contentType)) }
            // Google's read methods sent as POST (`getIamPolicy`) change nothing, so they may be sent again.
            return HTTPRequest(method: method, url: url, headers: headers, body: body, idempotent: true)
        }
        let response = try await sender.send(try await request(), operation: operation, source: source)
        guard response.status == 401 else { return response }
        tokenCache.invalidate()
        return try await sender.send(try await request(), operation: operation, source: source)
    }

    /// The cached access token, or a new one.
    func accessToken() async throws -> String {
        try await tokenCache.token(now: now) { try await requestToken() }
    }

    /// Exchanges a freshly signed assertion for an access token at `tokenURL`.
    func requestToken() async throws -> (token: String, expiresIn: TimeInterval) {
        let assertion: String
        do {
            assertion = try GoogleAssertion(key: key, subject: subject, scopes: scopes, audience: tokenURL.absoluteString,
                                            issuedAt: now()).signed(with: key.privateKey)
        } catch {
            throw SourceError.unavailable(source: source, reason: "could not sign the token request with the service account key")
        }
        let body = OAuthForm.encode([("grant_type", Self.jwtBearerGrant), ("assertion", assertion)])
        // Retrying the exchange is harmless (at worst a second token), so it may be sent again.
        let request = HTTPRequest(method: "POST", url: tokenURL, headers: [("Content-Type", OAuthForm.contentType), ("Accept", "application/json")],
                                  body: body, idempotent: true)
        let response = try await sender.send(request, operation: "token request", source: source)
        let refused: OAuthTokenAnswer.Refusal
        switch try OAuthTokenAnswer.read(response, source: source, now: now()) {
        case .success(let granted): return granted
        case .failure(let refusal): refused = refusal
        }
        let detail = refused.description.map { ": \($0)" } ?? ""
        let hint = refusalHints[refused.error].map { "; \($0)" } ?? ""
        throw SourceError.unavailable(source: source, reason: "token request refused (HTTP \(response.status) \(refused.error)\(detail))\(hint)")
    }

    /// A readable failure: the operation, status and Google's error status and message (`{"error":{…}}`).
    /// Never the token, never the rest of the body.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            return .unavailable(source: source, reason: "\(operation): " + ThrottledSender.throttledReason(response, now: now()))
        }
        struct Envelope: Decodable { struct Detail: Decodable { var status: String?; var message: String? }; var error: Detail }
        let detail = (try? JSONDecoder().decode(Envelope.self, from: response.body))?.error
        let words = [detail?.status, detail?.message].compactMap { $0 }.joined(separator: ": ")
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)" + (words.isEmpty ? "" : " \(words)"))
    }
}
