import Foundation
import HTTP
import Synchronization

/// What the Fleet and KnowBe4 fakes share: a bearer token checked on every call, `page` / `per_page` pagination
/// over a list of rows, a request log, and failures on cue. Each fake routes its paths and wraps a page in its own
/// envelope (`{"hosts": [...]}`, a bare array).
package final class FakePagedAPI: Sendable {
    package enum Failure: Sendable {
        /// 429 with `Retry-After: n`.
        case tooManyRequests(retryAfter: Int)
        /// 503 with `Retry-After: n`.
        case unavailable(retryAfter: Int)
        /// A status with a JSON `{"message": …}` body.
        case status(Int)
        /// 200 with an HTML body.
        case malformed
        /// 200 with JSON of another shape (an object where a list belongs, or the reverse).
        case wrongShape
    }

    struct State {
        var failures: [Failure] = []
        var pageFailures: [Int: Failure] = [:]
        var requests: [String] = []
    }

    package let token: String
    /// The number of the first page (Fleet counts from 0, KnowBe4 from 1).
    let firstPage: Int
    /// The page size when `per_page` is absent, and the most a page holds.
    let defaultPerPage: Int
    let maxPerPage: Int
    /// The body of a 401.
    let unauthorized: String
    private let state = Mutex(State())

    package init(token: String, firstPage: Int, defaultPerPage: Int, maxPerPage: Int, unauthorized: String) {
        self.token = token; self.firstPage = firstPage; self.defaultPerPage = defaultPerPage; self.maxPerPage = maxPerPage
        self.unauthorized = unauthorized
    }

    /// The next answers fail this way, in order.
    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// Every request for page `page` fails this way.
    package func fail(page: Int, with failure: Failure) { state.withLock { $0.pageFailures[page] = failure } }
    /// Every request as `path?query` (query percent-encoded as sent), in order.
    package var requests: [String] { state.withLock { $0.requests } }

    /// Logs `request`, then answers: 401 without the token, a cued failure, else the requested page of `rows` in
    /// `envelope`. A page past the end is empty.
    package func answer(_ request: HTTPRequest, rows: @autoclosure () -> [[String: Any]], envelope: ([[String: Any]]) -> Any) -> HTTPResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let page = query["page"].flatMap(Int.init) ?? firstPage
        let failure: Failure? = state.withLock { s in
            s.requests.append((components?.percentEncodedPath ?? "") + (components?.percentEncodedQuery.map { "?" + $0 } ?? ""))
            guard request.header("authorization") == "Bearer \(token)" else { return .status(401) }
            if let failure = s.pageFailures[page] { return failure }
            return s.failures.isEmpty ? nil : s.failures.removeFirst()
        }
        switch failure {
        case .status(401): return HTTPResponse(status: 401, headers: ["Content-Type": "application/json"], body: Data(unauthorized.utf8))
        case .tooManyRequests(let seconds): return Self.json(429, ["message": "limit exceeded, retry after: \(seconds)s"], headers: ["Retry-After": "\(seconds)"])
        case .unavailable(let seconds): return Self.json(503, ["message": "Service Unavailable"], headers: ["Retry-After": "\(seconds)"])
        case .status(let status): return Self.json(status, ["message": "Internal Server Error"])
        case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>maintenance</html>".utf8))
        case .wrongShape:
            let other: Any = envelope([]) is [Any] ? ["data": [Any]()] : [Any]()
            return Self.json(200, other)
        case nil:
            guard page >= firstPage, let perPage = Int(query["per_page"] ?? "\(defaultPerPage)"), perPage > 0 else {
                return Self.json(400, ["message": "invalid page or per_page"])
            }
            let all = rows()
            let size = min(perPage, maxPerPage)
            let start = min(all.count, (page - firstPage) * size)
            return Self.json(200, envelope(Array(all[start..<min(all.count, start + size)])))
        }
    }

    static func json(_ status: Int, _ body: Any, headers: [String: String] = [:]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return HTTPResponse(status: status, headers: headers.merging(["Content-Type": "application/json"]) { first, _ in first }, body: data)
    }
}

/// A fake built on `FakePagedAPI`: its token, request log and failures on cue.
package protocol FakePagedService: HTTPTransport {
    var api: FakePagedAPI { get }
}

extension FakePagedService {
    package var token: String { api.token }
    /// Every request as `path?query`, in order.
    package var requests: [String] { api.requests }
    /// The next answers fail this way, in order.
    package func failNext(_ failures: [FakePagedAPI.Failure]) { api.failNext(failures) }
    /// Every request for page `page` fails this way.
    package func fail(page: Int, with failure: FakePagedAPI.Failure) { api.fail(page: page, with: failure) }
}
