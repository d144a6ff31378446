import Core
import Foundation
import HTTP

/// Calls to Microsoft Graph with an app-only token from the Microsoft identity platform (OAuth 2.0 client
/// credentials grant), cached until shortly before it expires; collections are followed across `@odata.nextLink`.
struct EntraGraphClient: Sendable {
    /// App-only tokens carry the application permissions an admin consented to; `.default` asks for all of them.
    static let scope = "https://graph.microsoft.com/.default"
    /// Pages followed before giving up on a collection that never ends.
    static let maxPages = 10_000

    let source: SourceID
    let clientID: String
    let clientSecret: String
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    let tokenURL: URL
    /// Graph's root; every `@odata.nextLink` must point at the same scheme, host and port.
    let graphURL: URL
    let sender: ThrottledSender
    let tokenCache = CachedBearerToken()
    let now: @Sendable () -> Date

    /// Every item of a collection, following `@odata.nextLink` until Graph sends none. Throws on any answer but
    /// 200, and on a next link to another host (the token is never sent elsewhere).
    func list<Item: Decodable>(_ path: String, query: [URLQueryItem] = [], operation: String) async throws -> [Item] {
        guard let items: [Item] = try await list(path, query: query, operation: operation, forbiddenIsNil: false) else {
            throw SourceError.unavailable(source: source, reason: "\(operation): forbidden")
        }
        return items
    }

    /// Like `list`, but nil when Graph answers 403 (a report that needs a licence or permission the tenant lacks).
    func listUnlessForbidden<Item: Decodable>(_ path: String, query: [URLQueryItem] = [], operation: String) async throws -> [Item]? {
        try await list(path, query: query, operation: operation, forbiddenIsNil: true)
    }

    private func list<Item: Decodable>(_ path: String, query: [URLQueryItem], operation: String, forbiddenIsNil: Bool) async throws -> [Item]? {
        var components = URLComponents(url: graphURL, resolvingAgainstBaseURL: false)!
        let basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = basePath + path
        components.queryItems = query.isEmpty ? nil : query
        guard var url = components.url else { throw SourceError.unavailable(source: source, reason: "\(operation): cannot build a URL") }
        var items: [Item] = []
        var seen: Set<String> = []
        for _ in 0..<Self.maxPages {
            let response = try await get(url, operation: operation)
            if response.status == 403, forbiddenIsNil { return nil }
            guard response.status == 200 else { throw failure(operation, response) }
            let page: GraphPage<Item>
            do {
                page = try JSONDecoder().decode(GraphPage<Item>.self, from: response.body)
            } catch {
                throw SourceError.unavailable(source: source, reason: "\(operation): the answer is not the expected collection (\(Self.decodingProblem(error)))")
            }
            items += page.value
            guard let link = page.nextLink else { return items }
            guard let next = URL(string: link), next.scheme == graphURL.scheme, next.host == graphURL.host, next.port == graphURL.port else {
                throw SourceError.unavailable(source: source, reason: "\(operation): the next page link points away from \(graphURL.host ?? "Graph"); not followed")
            }
            guard seen.insert(link).inserted else {
                throw SourceError.unavailable(source: source, reason: "\(operation): the same next page link came back twice; the listing would never end")
            }
            url = next
        }
        throw SourceError.unavailable(source: source, reason: "\(operation): more than \(Self.maxPages) pages")
    }

    /// A GET with the bearer token; a 401 (a token revoked early) fetches a new token and tries once more.
    func get(_ url: URL, operation: String) async throws -> HTTPResponse {
        let response = try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]),
                                      operation: operation)
        guard response.status == 401 else { return response }
        tokenCache.invalidate()
        return try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]),
                              operation: operation)
    }

    /// The cached access token, or a new one.
    func accessToken() async throws -> String {
        try await tokenCache.token(now: now) { try await requestToken() }
    }

    /// The client credentials grant: `client_id`, `client_secret`, `scope`, `grant_type` form-encoded to the
    /// tenant's token endpoint. A refusal reports the `AADSTS…` code and its first line of description, which
    /// never holds the secret (and is scrubbed of it all the same).
    func requestToken() async throws -> (token: String, expiresIn: TimeInterval) {
        let body = OAuthForm.encode([("client_id", clientID), ("client_secret", clientSecret), ("scope", Self.scope),
                                     ("grant_type", "client_credentials")])
        // Asking twice only costs a second token, so the request may be sent again.
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
        let firstLine = refused.error_description?.split(whereSeparator: \.isNewline).first.map(String.init)
        let detail = firstLine.map { ": " + scrub($0) } ?? ""
        let hint = switch refused.error {
        case "invalid_client": "; check the client secret variable holds the secret's value (not its id) and that it has not expired"
        case "unauthorized_client": "; check client_id names an app registered in tenant_id"
        case "invalid_request": "; check settings.tenant_id"
        default: ""
        }
        throw SourceError.unavailable(source: source, reason: "token request refused (HTTP \(response.status) \(refused.error)\(detail))\(hint)")
    }

    /// Sends through the throttling policy; a request that got no answer becomes a source error.
    func send(_ request: HTTPRequest, operation: String) async throws -> HTTPResponse {
        try await sender.send(request, operation: operation, source: source)
    }

    /// A readable failure: operation, status, Graph's error code and message, and the request id to quote to
    /// Microsoft support.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            return .unavailable(source: source, reason: "\(operation): " + ThrottledSender.throttledReason(response, now: now()))
        }
        struct Envelope: Decodable { struct Detail: Decodable { var code: String?; var message: String? }; var error: Detail }
        let detail = (try? JSONDecoder().decode(Envelope.self, from: response.body))?.error
        let words = [detail?.code, detail?.message].compactMap { $0 }.joined(separator: ": ")
        let requestID = response.header("request-id").map { " (request id \($0))" } ?? ""
        let hint = response.status == 403
            ? "; the app needs the application permissions User.Read.All, AuditLog.Read.All and RoleManagement.Read.Directory with admin consent (sign-in activity also needs Entra ID P1 or P2)"
            : ""
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)" + (words.isEmpty ? "" : " \(scrub(words))") + requestID + hint)
    }

    /// `text` with the client secret cut out, should a server ever echo it.
    func scrub(_ text: String) -> String {
        clientSecret.isEmpty ? text : text.replacingOccurrences(of: clientSecret, with: "<redacted>")
    }

    /// Which field failed to decode, without any of the payload.
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .keyNotFound(let key, let context): return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted: return "not JSON"
        @unknown default: return "undecodable"
        }
    }
}
