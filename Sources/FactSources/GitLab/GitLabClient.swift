import Core
import Foundation
import HTTP

/// Authenticated GETs against the GitLab REST API v4 (gitlab.com or self-managed) through the shared transport:
/// pagination by `Link: rel="next"` or `x-next-page` (same origin only), 429 rate limits waited out when the wait
/// is short, readable errors that never carry the token.
struct GitLabClient: Sendable {
    let source: SourceID
    /// The instance, e.g. `https://gitlab.com`; the API lives under `/api/v4`.
    let baseURL: URL
    let token: String
    /// The environment variable the token came from, named in errors.
    let tokenVariable: String
    let transport: any HTTPTransport
    let now: @Sendable () -> Date
    let sleep: @Sendable (TimeInterval) async throws -> Void

    /// The longest rate-limit wait a read sits through (seconds).
    static let maxRateLimitWait: TimeInterval = 60
    static let maxRateLimitWaits = 3
    static let maxPages = 2_000
    static let pageSize = 100

    /// Every item, or the first page's non-2xx answer for the caller to interpret.
    typealias ListOutcome<Item: Sendable> = PagedList<Item>

    /// `/api/v4` + `path` (percent-encoded segments, starting with `/`) under the instance URL, with `query`.
    func url(_ path: String, query: [URLQueryItem] = []) throws -> URL {
        try APIURL.build(base: baseURL, path: "/api/v4" + path, query: query, source: source, system: "GitLab")
    }

    /// An id or full path (`acme/platform`) as one path segment: GitLab wants `/` encoded as `%2F`.
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// One GET. 429s are waited out (bounded); a 401 throws; any other status is returned to the caller.
    func get(_ url: URL) async throws -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: url, headers: [
            ("Accept", "application/json"),
            ("PRIVATE-TOKEN", token),
            ("User-Agent", "soc2bot"),
        ])
        var waits = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as HTTPError {
                throw SourceError.unavailable(source: source, reason: "GitLab: \(error)")
            }
            if response.status == 401 {
                throw SourceError.unavailable(source: source, reason: "GitLab rejected the token in \(tokenVariable) (HTTP \(Self.message(response).map { $0.hasPrefix("401") ? $0 : "401 \($0)" } ?? "401 Unauthorized")); "
                                              + "set \(tokenVariable) to a valid token with the `read_api` scope")
            }
            guard response.status == 429 else { return response }
            let wait = rateLimitWait(response)
            guard waits < Self.maxRateLimitWaits else {
                throw SourceError.unavailable(source: source, reason: "GitLab still answered 429 after \(waits) waits; the next run will try again")
            }
            guard wait <= Self.maxRateLimitWait else {
                let reset = response.header("ratelimit-reset").flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) }
                throw SourceError.unavailable(source: source, reason: "GitLab's rate limit asks to wait \(Int(wait.rounded(.up))) s"
                                              + (reset.map { " (until \($0.formatted(.iso8601)))" } ?? "")
                                              + ", longer than the \(Int(Self.maxRateLimitWait)) s a read waits; the next run will try again")
            }
            try await sleep(wait)
            waits += 1
        }
    }

    /// Seconds a 429 asks to wait: `Retry-After`, else until `RateLimit-Reset`, else a minute.
    func rateLimitWait(_ response: HTTPResponse) -> TimeInterval {
        if let retryAfter = RetryingTransport.retryAfter(response, now: now()) { return retryAfter }
        if let reset = response.header("ratelimit-reset").flatMap(TimeInterval.init) {
            return max(0, Date(timeIntervalSince1970: reset).timeIntervalSince(now()))
        }
        return 60
    }

    /// Every item of a list endpoint. Any non-2xx status throws.
    func list<Item: Decodable & Sendable>(_ operation: String, _ path: String, query: [URLQueryItem] = [],
                                          as: Item.Type = Item.self) async throws -> [Item] {
        switch try await listOrRefusal(operation, path, query: query, as: Item.self) {
        case .items(let items): return items
        case .refused(let response): throw failure(operation, response)
        }
    }

    /// Every item of a list endpoint, following `Link: rel="next"` or, without one, `x-next-page`.
    func listOrRefusal<Item: Decodable & Sendable>(_ operation: String, _ path: String, query: [URLQueryItem] = [],
                                                   as: Item.Type = Item.self) async throws -> ListOutcome<Item> {
        try await Pagination.collect(
            from: try url(path, query: query + [URLQueryItem(name: "per_page", value: "\(Self.pageSize)")]), base: baseURL,
            system: "GitLab", operation: operation, source: source, maxPages: Self.maxPages,
            get: { try await get($0) }, decode: { try decode([Item].self, operation, $0) }, failure: { failure(operation, $0) },
            next: Self.nextPage(after:_:))
    }

    /// The next page: the `Link` header's, else `page` set to `x-next-page` (empty on the last page).
    static func nextPage(after url: URL, _ response: HTTPResponse) -> URL? {
        if let next = LinkHeader(response.header("link")).next { return next }
        guard let page = response.header("x-next-page")?.trimmingCharacters(in: .whitespaces), !page.isEmpty,
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
        var query = (components.queryItems ?? []).filter { $0.name != "page" }
        query.append(URLQueryItem(name: "page", value: page))
        components.queryItems = query
        return components.url
    }

    /// One object, or the non-2xx answer.
    func object<T: Decodable>(_ operation: String, _ path: String, as: T.Type = T.self) async throws -> Result<T, HTTPResponseFailure> {
        let response = try await get(try url(path))
        guard (200..<300).contains(response.status) else { return .failure(HTTPResponseFailure(response: response)) }
        return .success(try decode(T.self, operation, response))
    }

    /// A non-2xx answer, wrapped so it can travel in a `Result`.
    struct HTTPResponseFailure: Error {
        let response: HTTPResponse
    }

    func decode<T: Decodable>(_ type: T.Type, _ operation: String, _ response: HTTPResponse) throws -> T {
        do {
            return try JSONBody.decode(type, from: response.body)
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): GitLab answered HTTP \(response.status) with a body this client "
                                          + "cannot read (\(error.reason))")
        }
    }

    /// A readable failure: operation, status, GitLab's message and request id — never headers or the token.
    func failure(_ operation: String, _ response: HTTPResponse, hint: String? = nil) -> SourceError {
        let requestID = response.header("x-request-id").map { " (request id \($0))" } ?? ""
        let message = Self.message(response).map { " \($0)" } ?? ""
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(message)\(requestID)" + (hint.map { "; \($0)" } ?? ""))
    }

    /// GitLab's `message` (or `error`) in an error body when it is a string, shortened.
    static func message(_ response: HTTPResponse) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let message = (object["message"] as? String) ?? (object["error"] as? String), !message.isEmpty else { return nil }
        return message.count > 200 ? String(message.prefix(200)) + "…" : message
    }
}
