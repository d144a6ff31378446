import Core
import Foundation
import HTTP

/// Authenticated reads from the Okta Management API (`Authorization: SSWS <token>`), honouring Okta's rate limits
/// and following `Link: <…>; rel="next"` pagination (see `LinkHeader`).
///
/// Rate limits: every answer carries `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch seconds, UTC). A 429,
/// or a success that leaves no request in the window, waits until the reset (plus one second for clock skew) when
/// that is at most `maxRateLimitWait` (60 s) away; a longer wait, or a fourth 429 for one request, is an error that
/// says when the window resets. Waiting goes through the injected `sleep`, so tests record waits instead of sleeping.
struct OktaClient: Sendable {
    let source: SourceID
    /// `https://acme.okta.com`: scheme, host and port only.
    let baseURL: URL
    let token: String
    /// The environment variable the token came from, to name it in an auth failure.
    let tokenVariable: String
    let transport: any HTTPTransport
    let now: @Sendable () -> Date
    let sleep: @Sendable (TimeInterval) async throws -> Void
    /// The longest rate-limit reset the client waits for, in seconds.
    var maxRateLimitWait: TimeInterval = 60
    /// 429s tolerated for one request before giving up.
    var maxRateLimitRetries = 3

    /// The URL of `path` (starting with `/api/v1/`) with `query` items, on the org's host.
    func url(_ path: String, _ query: [URLQueryItem] = []) throws -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) ?? URLComponents()
        components.path = path
        components.queryItems = query.isEmpty ? nil : query
        // `+` is literal in a query item but a space to many servers: encode it.
        let encoded = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components.percentEncodedQuery = encoded
        guard let url = components.url else {
            throw SourceError.unavailable(source: source, reason: "cannot build an Okta URL for \(path)")
        }
        return url
    }

    /// Every item of a paginated list: GETs `url`, then each `rel="next"` link until there is none.
    /// A next link to another host, or one already followed, is an error (never a token sent elsewhere, never a loop).
    func list<Item: Decodable & Sendable>(_ operation: String, _ url: URL, as item: Item.Type) async throws -> [Item] {
        let outcome = try await Pagination.collect(
            from: url, base: baseURL, system: "Okta", operation: operation, source: source, maxPages: 10_000,
            get: { try await get(operation, $0) }, decode: { try decode(operation, [Item].self, from: $0) },
            failure: { failure(operation, $0) },
            next: { _, response in LinkHeader(response.header("link")).next.flatMap { URL(string: $0.absoluteString, relativeTo: baseURL)?.absoluteURL } })
        switch outcome {
        case .items(let items): return items
        case .refused(let response): throw failure(operation, response)
        }
    }

    /// One GET with the token, waiting out rate limits; any status but 200 is an error naming the operation.
    func get(_ operation: String, _ url: URL) async throws -> HTTPResponse {
        var limited = 0
        while true {
            let request = HTTPRequest(method: "GET", url: url, headers: [("Authorization", "SSWS \(token)"), ("Accept", "application/json")])
            let response = try await transport.send(request)
            if response.status == 429 {
                limited += 1
                guard limited <= maxRateLimitRetries else {
                    throw SourceError.unavailable(source: source, reason: "\(operation): still rate limited by Okta after \(maxRateLimitRetries) waits; "
                                                  + "run less often or raise the API token's rate-limit share")
                }
                try await waitForReset(operation, response, required: true)
                continue
            }
            guard response.status == 200 else { throw failure(operation, response) }
            if response.header("x-rate-limit-remaining").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) == 0 {
                // The window is spent: the next call would be refused, so wait now if the reset is near.
                try await waitForReset(operation, response, required: false)
            }
            return response
        }
    }

    /// Sleeps until the rate-limit window in `response` resets. `required`: the request was refused (429), so a
    /// reset too far away is an error; otherwise a far reset is left for the next request to meet.
    private func waitForReset(_ operation: String, _ response: HTTPResponse, required: Bool) async throws {
        let current = now()
        let wait: TimeInterval
        if let reset = response.header("x-rate-limit-reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            wait = max(0, reset - current.timeIntervalSince1970) + 1
        } else if let retryAfter = RetryingTransport.retryAfter(response, now: current) {
            wait = retryAfter
        } else {
            wait = 1
        }
        guard wait <= maxRateLimitWait else {
            guard required else { return }
            let resetAt = current.addingTimeInterval(wait)
            throw SourceError.unavailable(source: source, reason: "\(operation): rate limited by Okta until \(TimeText.human(resetAt)) "
                                          + "(longer than the \(Int(maxRateLimitWait)) s the bot waits); the next run will retry")
        }
        try await sleep(wait)
    }

    /// Decodes a JSON answer; an answer of another shape is an error, never an empty list.
    func decode<T: Decodable>(_ operation: String, _ type: T.Type, from response: HTTPResponse) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: response.body)
        } catch let error as DecodingError {
            throw SourceError.unavailable(source: source, reason: "\(operation): Okta's answer is not the expected JSON (\(Self.describe(error)))")
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): Okta's answer is not the expected JSON")
        }
    }

    /// Where decoding failed, without the payload.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "at the top level" : "at " + keys.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context): return "malformed \(path(context))"
        case .keyNotFound(let key, let context): return "no `\(key.stringValue)` \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "unexpected value \(path(context))"
        @unknown default: return "unreadable"
        }
    }

    /// A readable failure: operation, status, Okta's error code and summary, and the request id — never the token.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        struct OktaError: Decodable { var errorCode: String?; var errorSummary: String?; var errorId: String? }
        let error = try? JSONDecoder().decode(OktaError.self, from: response.body)
        let code = error?.errorCode.map { " \($0)" } ?? ""
        let summary = error?.errorSummary.map { " (\($0))" } ?? ""
        let requestID = (response.header("x-okta-request-id") ?? error?.errorId).map { " [request id \($0)]" } ?? ""
        let advice: String
        switch (response.status, error?.errorCode) {
        case (401, _), (_, "E0000011"):
            advice = "; check that \(tokenVariable) holds a current API token of \(baseURL.host ?? "the org") (Okta Admin → Security → API → Tokens)"
        case (403, _), (_, "E0000006"):
            advice = "; the token's admin lacks permission: create the token as an admin with at least the Read-only Administrator role"
        default:
            advice = ""
        }
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(code)\(summary)\(requestID)\(advice)")
    }
}
