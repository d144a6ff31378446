import Foundation

/// An outbound HTTP request. Headers keep their order and may repeat (SigV4 signs repeated headers).
package struct HTTPRequest: Sendable, Equatable {
    package var method: String
    package var url: URL
    package var headers: [(name: String, value: String)]
    package var body: Data
    /// Overrides the method's idempotency for retries: a read-only query sent as POST (AWS query APIs) may say so.
    package var idempotent: Bool?
    /// Seconds this exchange may take, instead of the transport's default: a long poll the server holds open
    /// (Matrix `/sync?timeout=`) must be given longer than it is held.
    package var timeout: TimeInterval?

    package init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data = Data(), idempotent: Bool? = nil,
                 timeout: TimeInterval? = nil) {
        self.method = method; self.url = url; self.headers = headers; self.body = body; self.idempotent = idempotent; self.timeout = timeout
    }

    /// The first value of a header, matched case-insensitively.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Replaces every value of a header with one.
    package mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name, value))
    }

    /// GET, HEAD, PUT, DELETE and OPTIONS may be retried without changing the outcome (RFC 9110 §9.2.2).
    package var isIdempotent: Bool { idempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased()) }

    package static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// A response: status, headers (names lower-cased) and the body.
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    package var headers: [String: String]
    package var body: Data

    package init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    package func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The one way the bot talks HTTP. `URLSessionTransport` (libcurl on Linux) in production, fakes in tests,
/// `RetryingTransport` around either.
package protocol HTTPTransport: Sendable {
    /// Sends the request and returns whatever the server answered, error statuses included; throws only when no
    /// answer arrived (DNS, connection, TLS, timeout).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// Errors from the HTTP layer. Descriptions name the method, host and path, never headers or bodies, so no
/// credential can leak into a log through them.
package enum HTTPError: Error, Sendable, CustomStringConvertible, Equatable {
    /// No answer: the connection failed or timed out.
    case transport(method: String, url: String, reason: String)
    /// An answer the caller cannot use, after any retries.
    case unexpectedStatus(method: String, url: String, status: Int, requestID: String?)

    package var description: String {
        switch self {
        case .transport(let method, let url, let reason): "\(method) \(url): no answer (\(reason))"
        case .unexpectedStatus(let method, let url, let status, let requestID):
            "\(method) \(url): HTTP \(status)" + (requestID.map { " (request id \($0))" } ?? "")
        }
    }

    /// Scheme, host, port and path of a URL, without query (which may hold tokens) or user info.
    package static func redacted(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.query = nil
        components?.fragment = nil
        components?.user = nil
        components?.password = nil
        return components?.string ?? "<url>"
    }
}
