import Foundation

/// One HTTP request/response on one connection, from `LWS_CALLBACK_HTTP` until the response is written.
///
/// Confined to the server's service thread (it holds the `wsi`); a handler task refers to it only by `id`, so a
/// result that arrives after the client left finds no exchange and is dropped.
final class HTTPExchange {
    enum Phase {
        /// Reading a body of `expectedBodyBytes` (a request refused before its body is read is `responding`).
        case receivingBody
        /// The handler task runs.
        case handling
        /// Writing `response`.
        case responding
        /// The response is out and the connection closes at the next writeable callback (after lws has flushed
        /// what it buffered).
        case closing
    }

    let id: Int
    let wsi: OpaquePointer
    let method: String
    let path: String
    let query: String?
    let headers: [String: String]
    let expectedBodyBytes: Int
    var phase: Phase
    var body = Data()
    /// How many `HTTP_BODY_COMPLETION`s lws reported; a second one is the 4.1.6 pipelining bug.
    var bodyCompletions = 0
    var task: Task<Void, Never>?
    /// When the head was read and when the last body byte arrived (`bodyIdleTimeout`, `requestTimeout`); set
    /// while a body is awaited.
    var headReadAt: ContinuousClock.Instant?
    var lastBodyByteAt: ContinuousClock.Instant?

    var response: HTTPServerResponse?
    var closeAfterResponse = false
    var headersSent = false
    var bodyOffset = 0

    init(id: Int, wsi: OpaquePointer, method: String, path: String, query: String?, headers: [String: String],
         expectedBodyBytes: Int, phase: Phase) {
        self.id = id
        self.wsi = wsi
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.expectedBodyBytes = expectedBodyBytes
        self.phase = phase
    }

    var request: HTTPServerRequest {
        HTTPServerRequest(method: method, path: path, query: query, headers: headers, body: body)
    }
}
