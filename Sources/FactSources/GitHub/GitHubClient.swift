import Core
import Foundation
import HTTP

/// Authenticated GETs against the GitHub REST API (github.com or GitHub Enterprise Server) through the shared
/// transport: pagination by `Link: rel="next"` (same origin only), primary and secondary rate limits waited out
/// when the wait is short, readable errors that never carry the token.
struct GitHubClient: Sendable {
    let source: SourceID
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    let baseURL: URL
    let token: String
    /// The environment variable the token came from, named in errors so people know what to fix.
    let tokenVariable: String
    let transport: any HTTPTransport
    let now: @Sendable () -> Date
    let sleep: @Sendable (TimeInterval) async throws -> Void

    /// The longest rate-limit wait a read sits through (seconds); a longer one fails the read, saying when the
    /// limit resets, and the next scheduled run tries again.
    static let maxRateLimitWait: TimeInterval = 60
    /// Rate-limit waits per request before giving up.
    static let maxRateLimitWaits = 3
    /// Pages followed per list before the answer is judged a loop.
    static let maxPages = 2_000
    static let pageSize = 100

    /// The outcome of a list read: every item, or the first page's refusal for the caller to interpret
    /// (a 404 for a feature that is off, a 422 for a filter the token may not use).
    typealias ListOutcome<Item: Sendable> = PagedList<Item>

    /// `path` (already percent-encoded segments, starting with `/`) under the base URL, with `query`.
    func url(_ path: String, query: [URLQueryItem] = []) throws -> URL {
        try APIURL.build(base: baseURL, path: path, query: query, source: source, system: "GitHub")
    }

    /// A path segment (owner, repo, branch) percent-encoded, `/` included, as GitHub's URL templates expand it.
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// One GET. Rate limits are waited out (bounded); a 401 throws; any other status is returned to the caller.
    func get(_ url: URL) async throws -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: url, headers: [
            ("Accept", "application/vnd.github+json"),
            ("Authorization", "Bearer \(token)"),
            ("X-GitHub-Api-Version", "2022-11-28"),
            ("User-Agent", "soc2bot"),
        ])
        var waits = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as HTTPError {
                throw SourceError.unavailable(source: source, reason: "GitHub: \(error)")
            }
            if response.status == 401 {
                throw SourceError.unavailable(source: source, reason: "GitHub rejected the token in \(tokenVariable) (HTTP 401 \(Self.message(response) ?? "Unauthorized")); "
                                              + "set \(tokenVariable) to a valid token with read access to the organization")
            }
            guard let limit = rateLimit(response) else { return response }
            guard limit.wait <= Self.maxRateLimitWait else { throw SourceError.unavailable(source: source, reason: limit.exhausted) }
            guard waits < Self.maxRateLimitWaits else {
                throw SourceError.unavailable(source: source, reason: "GitHub still answered with a rate limit after \(waits) waits; "
                                              + "the next run will try again")
            }
            try await sleep(limit.wait)
            waits += 1
        }
    }

    /// What a 403 or 429 asks: how long to wait, and what to say if that is too long. nil when it is not a
    /// rate limit (a plain permission refusal).
    func rateLimit(_ response: HTTPResponse) -> (wait: TimeInterval, exhausted: String)? {
        guard response.status == 403 || response.status == 429 else { return nil }
        if let retryAfter = RetryingTransport.retryAfter(response, now: now()) {
            return (retryAfter, "GitHub's secondary rate limit asks to wait \(Int(retryAfter.rounded(.up))) s, longer than the "
                    + "\(Int(Self.maxRateLimitWait)) s a read waits; the next run will try again")
        }
        if response.header("x-ratelimit-remaining") == "0" {
            guard let reset = response.header("x-ratelimit-reset").flatMap(TimeInterval.init) else {
                return (Self.maxRateLimitWait, "GitHub's API rate limit is exhausted and the answer does not say when it resets")
            }
            let resetAt = Date(timeIntervalSince1970: reset)
            let wait = max(0, resetAt.timeIntervalSince(now()))
            return (wait, "GitHub's API rate limit for this token is exhausted until \(resetAt.formatted(.iso8601)) "
                    + "(in \(Int(wait.rounded(.up))) s); the next run after that will read it")
        }
        if Self.message(response)?.lowercased().contains("secondary rate limit") == true {
            // GitHub: without retry-after or a reset time, wait at least a minute.
            return (60, "GitHub's secondary rate limit was hit repeatedly; the next run will try again")
        }
        return nil
    }

    /// Every item of a list endpoint, following `Link: rel="next"`. Any non-2xx status throws.
    func list<Item: Decodable & Sendable>(_ operation: String, _ path: String, query: [URLQueryItem] = [],
                                          as: Item.Type = Item.self) async throws -> [Item] {
        switch try await listOrRefusal(operation, path, query: query, as: Item.self) {
        case .items(let items): return items
        case .refused(let response): throw failure(operation, response)
        }
    }

    /// Every item of a list endpoint, or the first page's non-2xx answer. A refusal after the first page throws.
    func listOrRefusal<Item: Decodable & Sendable>(_ operation: String, _ path: String, query: [URLQueryItem] = [],
                                                   as: Item.Type = Item.self) async throws -> ListOutcome<Item> {
        try await Pagination.collect(
            from: try url(path, query: query + [URLQueryItem(name: "per_page", value: "\(Self.pageSize)")]), base: baseURL,
            system: "GitHub", operation: operation, source: source, maxPages: Self.maxPages,
            get: { try await get($0) }, decode: { try decode([Item].self, operation, $0) }, failure: { failure(operation, $0) },
            next: { _, response in LinkHeader(response.header("link")).next })
    }

    /// One object. A non-2xx status is returned as `.failure` for the caller to interpret.
    func object<T: Decodable>(_ operation: String, _ path: String, as: T.Type = T.self) async throws -> Result<T, HTTPResponseFailure> {
        let response = try await get(try url(path))
        guard (200..<300).contains(response.status) else { return .failure(HTTPResponseFailure(response: response)) }
        return .success(try decode(T.self, operation, response))
    }

    /// A non-2xx answer, wrapped so it can travel in a `Result`.
    struct HTTPResponseFailure: Error {
        let response: HTTPResponse
        var message: String? { GitHubClient.message(response) }
    }

    func decode<T: Decodable>(_ type: T.Type, _ operation: String, _ response: HTTPResponse) throws -> T {
        do {
            return try JSONBody.decode(type, from: response.body)
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): GitHub answered HTTP \(response.status) with a body this client "
                                          + "cannot read (\(error.reason))")
        }
    }

    /// A readable failure: the operation, status, GitHub's message and request id — never headers or the token.
    func failure(_ operation: String, _ response: HTTPResponse, hint: String? = nil) -> SourceError {
        let requestID = response.header("x-github-request-id").map { " (request id \($0))" } ?? ""
        let message = Self.message(response).map { " \($0)" } ?? ""
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(message)\(requestID)" + (hint.map { "; \($0)" } ?? ""))
    }

    /// GitHub's `message` in an error body, shortened.
    static func message(_ response: HTTPResponse) -> String? {
        struct ErrorBody: Decodable { let message: String? }
        guard let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.message, !message.isEmpty else { return nil }
        return message.count > 200 ? String(message.prefix(200)) + "…" : message
    }
}
