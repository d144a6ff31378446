import Foundation

/// One inbound HTTP/1.1 request, complete with its body, as `HTTPServer` hands it to its handler.
package struct HTTPServerRequest: Sendable {
    /// The method in upper case: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS` or `HEAD`.
    package var method: String
    /// The path, URL-decoded and normalised by libwebsockets (`/a/../b` arrives as `/b`), without the query.
    package var path: String
    /// The query without the `?`, or nil when the request had none.
    ///
    /// Reconstructed rather than raw: lws hands the arguments over split at `&` and URL-decoded, so each
    /// `name=value` pair is percent-encoded again (everything but RFC 3986 unreserved characters) and the pairs are
    /// joined with `&`. Parse it with `URLComponents`; do not verify signatures over it.
    package var query: String?
    /// Header values by lower-cased name: `host`, `content-type`, `content-length`, `authorization`,
    /// `user-agent`, `accept`, `origin`, `x-forwarded-for` when present, plus every name in
    /// `HTTPServer.Configuration.capturedHeaders` that the request carried. Other headers are not read.
    package var headers: [String: String]
    /// The body exactly as received (never de-chunked; chunked requests are refused with 411), so signatures can be
    /// verified over it.
    package var body: Data

    package init(method: String, path: String, query: String? = nil, headers: [String: String] = [:],
                 body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of the header `name` (any case), or nil if it was absent or not captured.
    package func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The query's items, decoded, in order (empty when there is no query).
    package var queryItems: [URLQueryItem] {
        guard let query else { return [] }
        var components = URLComponents()
        components.percentEncodedQuery = query
        return components.queryItems ?? []
    }
}
