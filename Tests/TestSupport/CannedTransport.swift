import Foundation
import HTTP
import Synchronization

/// Answers every request with the next scripted response, or, when given a router, with the router's answer for the
/// request's path and query (for requests a client sends concurrently, whose order is not fixed); records them.
package final class CannedTransport: HTTPTransport {
    private let state: Mutex<(responses: [HTTPResponse], seen: [String])>
    private let router: (@Sendable (String, HTTPRequest) -> HTTPResponse?)?
    package init(_ responses: [HTTPResponse]) { state = Mutex((responses, [])); router = nil }
    package init(router: @escaping @Sendable (String, HTTPRequest) -> HTTPResponse?) { state = Mutex(([], [])); self.router = router }
    /// Each request's path and query, in the order sent.
    package var seen: [String] { state.withLock { $0.seen } }
    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let target = (components?.percentEncodedPath ?? "") + (components?.percentEncodedQuery.map { "?" + $0 } ?? "")
        return state.withLock { s in
            s.seen.append(target)
            if let router { return router(target, request) ?? HTTPResponse(status: 500) }
            return s.responses.isEmpty ? HTTPResponse(status: 500) : s.responses.removeFirst()
        }
    }
}
