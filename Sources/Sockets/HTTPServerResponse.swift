import Foundation

/// What an `HTTPServer` handler answers: a status, headers and a complete body.
package struct HTTPServerResponse: Sendable {
    /// The HTTP status code.
    package var status: Int
    /// Response headers in order. `content-length` is always computed from `body` and `connection` is managed by
    /// the server, so both are ignored here. CR and LF are stripped from names and values.
    package var headers: [(name: String, value: String)]
    /// The body, written in 16 KiB chunks. Not sent for `HEAD` requests (its length still is).
    package var body: Data

    package init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    package static func text(_ status: Int, _ text: String) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("content-type", "text/plain; charset=utf-8")],
                           body: Data(text.utf8))
    }

    /// An `application/json` response carrying already-encoded JSON.
    package static func json(_ status: Int, _ body: Data) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("content-type", "application/json")], body: body)
    }

    /// An `application/json` response encoding `value` with sorted keys.
    package static func json(_ status: Int, encoding value: some Encodable) throws -> HTTPServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return json(status, try encoder.encode(value))
    }

    /// The value of the first header called `name` (any case).
    package func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
