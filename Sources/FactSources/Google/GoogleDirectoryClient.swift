import Core
import Foundation
import HTTP

/// Calls to the Admin SDK Directory API as a service account acting for a Workspace admin (domain-wide delegation),
/// with the access token cached across calls.
struct GoogleDirectoryClient: Sendable {
    /// The one scope the bot asks for: read users, nothing else.
    static let scope = "https://www.googleapis.com/auth/admin.directory.user.readonly"
    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// Users per page: the most `users.list` allows.
    static let pageSize = 500
    /// Pages followed before giving up on a directory that keeps answering with a next page (5 million users).
    static let maxPages = 10_000

    let source: SourceID
    let key: GoogleServiceAccountKey
    /// The admin the service account acts as (the JWT's `sub`).
    let adminEmail: String
    let customer: String
    let tokenURL: URL
    let baseURL: URL
    let sender: ThrottledSender
    let tokenCache = CachedBearerToken()
    let now: @Sendable () -> Date

    /// Every user of the customer, following `nextPageToken` until Google sends none.
    func users() async throws -> [GoogleUser] {
        var users: [GoogleUser] = []
        var pageToken: String?
        var seenTokens: Set<String> = []
        for _ in 0..<Self.maxPages {
            var query = [URLQueryItem(name: "customer", value: customer), URLQueryItem(name: "maxResults", value: "\(Self.pageSize)"),
                         URLQueryItem(name: "projection", value: "basic"), URLQueryItem(name: "orderBy", value: "email")]
            if let pageToken { query.append(URLQueryItem(name: "pageToken", value: pageToken)) }
            let response = try await get("/admin/directory/v1/users", query: query, operation: "users.list")
            guard let page = try? JSONDecoder().decode(GoogleUsersPage.self, from: response.body), page.kind != nil || page.users != nil else {
                throw SourceError.unavailable(source: source, reason: "users.list: the answer is not a user list")
            }
            users += page.users ?? []
            guard let next = page.nextPageToken, !next.isEmpty else { return users }
            guard seenTokens.insert(next).inserted else {
                throw SourceError.unavailable(source: source, reason: "users.list: the same page token came back twice; the listing would never end")
            }
            pageToken = next
        }
        throw SourceError.unavailable(source: source, reason: "users.list: more than \(Self.maxPages) pages")
    }

    /// A GET with the bearer token; a 401 (a token revoked early) fetches a new token and tries once more.
    /// Any answer but 200 is an error naming the operation, status and Google's error status — never the token.
    func get(_ path: String, query: [URLQueryItem], operation: String) async throws -> HTTPResponse {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        let basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = basePath + path
        components.queryItems = query
        guard let url = components.url else { throw SourceError.unavailable(source: source, reason: "\(operation): cannot build a URL") }
        var response = try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]), operation: operation)
        if response.status == 401 {
            tokenCache.invalidate()
            response = try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]), operation: operation)
        }
        guard response.status == 200 else { throw failure(operation, response) }
        return response
    }

    /// The cached access token, or a new one.
    func accessToken() async throws -> String {
        try await tokenCache.token(now: now) { try await requestToken() }
    }

    /// Exchanges a freshly signed assertion for an access token at `tokenURL`.
    func requestToken() async throws -> (token: String, expiresIn: TimeInterval) {
        let assertion: String
        do {
            assertion = try GoogleAssertion(key: key, subject: adminEmail, scopes: [Self.scope], audience: tokenURL.absoluteString,
                                            issuedAt: now()).signed(with: key.privateKey)
        } catch {
            throw SourceError.unavailable(source: source, reason: "could not sign the token request with the service account key")
        }
        let body = OAuthForm.encode([("grant_type", Self.jwtBearerGrant), ("assertion", assertion)])
        // Retrying the exchange is harmless (at worst a second token), so it may be sent again.
        let request = HTTPRequest(method: "POST", url: tokenURL, headers: [("Content-Type", OAuthForm.contentType), ("Accept", "application/json")],
                                  body: body, idempotent: true)
        let response = try await send(request, operation: "token request")
        struct Granted: Decodable { var access_token: String; var expires_in: Double? }
        struct Refused: Decodable { var error: String; var error_description: String? }
        if response.status == 200 {
            guard let granted = try? JSONDecoder().decode(Granted.self, from: response.body), !granted.access_token.isEmpty else {
                throw SourceError.unavailable(source: source, reason: "token request: the answer has no access_token")
            }
            return (granted.access_token, granted.expires_in ?? 3600)
        }
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            throw SourceError.unavailable(source: source, reason: "token request: " + ThrottledSender.throttledReason(response, now: now()))
        }
        guard let refused = try? JSONDecoder().decode(Refused.self, from: response.body) else {
            throw SourceError.unavailable(source: source, reason: "token request: HTTP \(response.status)")
        }
        let detail = refused.error_description.map { ": \($0)" } ?? ""
        let hint = switch refused.error {
        case "unauthorized_client", "access_denied":
            "; in the Admin console, grant the service account's client id domain-wide delegation for \(Self.scope)"
        case "invalid_grant":
            "; check the key is not deleted or expired, the clock is right, and settings.admin_email names a Workspace admin"
        default: ""
        }
        throw SourceError.unavailable(source: source, reason: "token request refused (HTTP \(response.status) \(refused.error)\(detail))\(hint)")
    }

    /// Sends through the throttling policy; a request that got no answer becomes a source error (the HTTP
    /// layer's description carries no query, header or body).
    func send(_ request: HTTPRequest, operation: String) async throws -> HTTPResponse {
        try await sender.send(request, operation: operation, source: source)
    }

    /// A readable failure: the operation, status and Google's error status and message (`{"error":{…}}`).
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
