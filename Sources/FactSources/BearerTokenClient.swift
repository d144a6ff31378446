import Core
import Foundation
import HTTP

/// Authenticated JSON reads from a REST API that takes a static API token as `Authorization: Bearer <token>` and
/// pages by page number (Fleet, KnowBe4). Throttling (429, 503) is waited out through `ThrottledSender`, honouring
/// `Retry-After`; every other non-2xx answer is an error naming the operation and the status, never the token.
struct BearerTokenClient: Sendable {
    let source: SourceID
    /// The system's name in messages: `Fleet`, `KnowBe4`.
    let system: String
    /// The API's root; `path`s are appended to its path.
    let baseURL: URL
    let token: String
    /// The environment variable the token came from, named in a 401 so people know what to fix.
    let tokenVariable: String
    /// Where to get a token, for the 401 advice (`Fleet → My account → Get API token`).
    let tokenHelp: String
    let sender: ThrottledSender
    let now: @Sendable () -> Date

    /// Pages followed before a list is judged never to end.
    static let maxPages = 10_000

    /// Reads the token from `environment` by the variable `config.credentials.token` names (else `defaultVariable`);
    /// throws `SourceError.unavailable` saying what to set, never echoing a value.
    init(config: SourceConfig, environment: [String: String], system: String, defaultVariable: String, tokenHelp: String,
         baseURL: URL, sender: ThrottledSender, now: @escaping @Sendable () -> Date) throws {
        let variable = config.credentialVariables["token"] ?? defaultVariable
        guard let token = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable \(variable) to a \(system) API token "
                                          + "(\(tokenHelp)), or name another variable in the source's `credentials.token`")
        }
        self.init(source: config.id, system: system, baseURL: baseURL, token: token, tokenVariable: variable, tokenHelp: tokenHelp,
                  sender: sender, now: now)
    }

    init(source: SourceID, system: String, baseURL: URL, token: String, tokenVariable: String, tokenHelp: String,
         sender: ThrottledSender, now: @escaping @Sendable () -> Date) {
        self.source = source; self.system = system; self.baseURL = baseURL; self.token = token; self.tokenVariable = tokenVariable
        self.tokenHelp = tokenHelp; self.sender = sender; self.now = now
    }

    /// One GET with the token, after any throttling waits; the answer whatever its status.
    func get(_ url: URL, operation: String) async throws -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")])
        return try await sender.send(request, operation: operation, source: source)
    }

    /// Every item of a list read page by page: `path?…&page=N&per_page=perPage` from `firstPage` (Fleet counts from 0,
    /// KnowBe4 from 1) until a page holds fewer than `perPage` items. Any non-2xx page — the first or a later one —
    /// throws, so a list is whole or not at all.
    func pagedList<Item: Sendable>(_ operation: String, path: String, query: [URLQueryItem] = [], firstPage: Int, perPage: Int,
                                   decode: (HTTPResponse) throws -> [Item]) async throws -> [Item] {
        func pageURL(_ page: Int) throws -> URL {
            try APIURL.build(base: baseURL, path: path, query: query + [URLQueryItem(name: "page", value: "\(page)"),
                                                                        URLQueryItem(name: "per_page", value: "\(perPage)")],
                             source: source, system: system)
        }
        var page = firstPage
        var lastCount = 0
        // `next` cannot throw: a page URL that cannot be built is kept and thrown after, never read as the list's end.
        var unbuildable: (any Error)?
        let outcome = try await Pagination.collect(
            from: try pageURL(page), base: baseURL, system: system, operation: operation, source: source, maxPages: Self.maxPages,
            get: { try await get($0, operation: operation) },
            decode: { response in
                let items = try decode(response)
                lastCount = items.count
                return items
            },
            failure: { failure(operation, $0) },
            next: { _, _ in
                guard lastCount >= perPage else { return nil }
                page += 1
                do { return try pageURL(page) } catch { unbuildable = error; return nil }
            })
        if let unbuildable { throw unbuildable }
        switch outcome {
        case .items(let items): return items
        case .refused(let response): throw failure(operation, response)
        }
    }

    /// Decodes a JSON answer; a body of another shape is an error naming the field, never an empty list.
    func decode<T: Decodable>(_ type: T.Type, _ operation: String, _ response: HTTPResponse) throws -> T {
        do {
            return try JSONBody.decode(type, from: response.body)
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): \(system)'s answer is not the expected JSON (\(error.reason))")
        }
    }

    /// A readable failure: operation, status, the API's own message (scrubbed of the token), and what to do about a
    /// refused token. A throttled final answer says how long the server asked to wait.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            return .unavailable(source: source, reason: "\(operation): \(system) " + ThrottledSender.throttledReason(response, now: now()))
        }
        let message = Self.message(response).map { " " + scrub($0) } ?? ""
        let advice = switch response.status {
        case 401: "; \(system) rejected the token in \(tokenVariable): set it to a current API token (\(tokenHelp))"
        case 403: "; the token's user lacks permission to read this"
        default: ""
        }
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(message)\(advice)")
    }

    /// `message` (or a string `error`) of a JSON error body, shortened; nil for any other body.
    static func message(_ response: HTTPResponse) -> String? {
        struct Message: Decodable { var message: String? }
        struct ErrorText: Decodable { var error: String? }
        let found = (try? JSONDecoder().decode(Message.self, from: response.body))?.message
            ?? (try? JSONDecoder().decode(ErrorText.self, from: response.body))?.error
        guard let text = found?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// `text` with the token cut out, should a server ever echo it.
    func scrub(_ text: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<redacted>")
    }
}
