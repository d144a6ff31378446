import Foundation
import HTTP

/// Microsoft Graph's wire format as the Graph fakes (`FakeEntra`, `FakeIntune`) share it: the token endpoint
/// (`FakeMicrosoftIdentity`, granting only `https://graph.microsoft.com/.default`), bearer checks (401
/// `InvalidAuthenticationToken`), the `{"error": {"code", "message", "innerError"}}` envelope, `$skiptoken` paging
/// with `@odata.nextLink`, and failure modes on cue, one per Graph call in order.
package enum FakeMicrosoftGraph {
    package static let host = "graph.microsoft.com"
    package static let scope = "https://graph.microsoft.com/.default"

    /// What the next Graph call answers instead of its result.
    package enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int?), serviceUnavailable(retryAfter: Int?), serverError(Int), malformed
        /// The next page's `@odata.nextLink` points at another host.
        case foreignNextLink
        /// Every issued token expires before this call: it answers 401.
        case expiredToken
        /// This call is answered normally (to let a later cue hit a later page).
        case pass
    }

    /// A fake's Graph state, kept inside its lock: tokens, cues, and the calls made.
    package struct Session: Sendable {
        package var identity = FakeMicrosoftIdentity.Ledger()
        package var failures: [Failure] = []
        /// Graph calls as `path?query` (query decoded, in the request's order).
        package var calls: [String] = []
        var foreignNextLink = false
        package init() {}
    }

    /// What Graph does before it looks at the resource: token requests go to `identity`, other hosts are 404, the
    /// call is logged, a cued failure answers, and a request without a token this fake issued is 401. Returns the
    /// answer to send, or nil and the decoded query for the caller to serve.
    package static func admit(_ request: HTTPRequest, identity: FakeMicrosoftIdentity, _ s: inout Session) -> (HTTPResponse?, [String: String]) {
        if request.url.host == FakeMicrosoftIdentity.authorityHost { return (identity.token(request, &s.identity), [:]) }
        guard request.url.host == host else { return (HTTPResponse(status: 404, body: Data("not Graph".utf8)), [:]) }
        let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        s.calls.append(request.url.path + (items.isEmpty ? "" : "?" + items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")))
        if let failure = s.failures.first {
            s.failures.removeFirst()
            switch failure {
            case .tooManyRequests(let seconds):
                return (error(429, "TooManyRequests", "Too many requests.", headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:]), query)
            case .serviceUnavailable(let seconds):
                return (error(503, "serviceNotAvailable", "Service unavailable.", headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:]), query)
            case .serverError(let status): return (error(status, "generalException", "An unspecified error has occurred."), query)
            case .malformed: return (HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>proxy login</html>".utf8)), query)
            case .foreignNextLink: s.foreignNextLink = true
            case .expiredToken: s.identity.tokens = []
            case .pass: break
            }
        }
        guard identity.authorizes(request, s.identity) else {
            return (error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."), query)
        }
        guard request.method == "GET" else { return (error(405, "Request_BadRequest", "Method not allowed."), query) }
        return (nil, query)
    }

    /// One page of `rows` from `$skiptoken`, with a next link that repeats the request's query (to another host
    /// when `foreignNextLink` was cued).
    package static func page(_ rows: [[String: Any]], size: Int, request: HTTPRequest, query: [String: String], _ s: inout Session) -> HTTPResponse {
        guard let offset = pager.offset(query, rowCount: rows.count) else {
            return error(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
        }
        let nextHost = s.foreignNextLink ? "graph.evil.example" : nil
        if offset + size < rows.count { s.foreignNextLink = false }
        return answer(pager.body(rows, offset: offset, size: size, url: request.url, nextHost: nextHost))
    }

    static let pager = FakeMicrosoftPage(skipTokenName: "$skiptoken", skipTokenPrefix: "RFNwdAIAAQAAA", nextLinkKey: "@odata.nextLink")

    /// Graph's error envelope, with the `request-id` header Graph sends.
    package static func error(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> HTTPResponse {
        answer(["error": ["code": code, "message": message,
                          "innerError": ["date": "2026-03-02T09:00:00", "request-id": "6c1f2e3d-0000-4000-8000-00000000beef"]]],
               status: status, headers: headers.merging(["request-id": "6c1f2e3d-0000-4000-8000-00000000beef"]) { first, _ in first })
    }

    package static func answer(_ object: [String: Any], status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        FakeMicrosoftIdentity.json(object, status: status, headers: headers, contentType: "application/json;odata.metadata=minimal")
    }
}
