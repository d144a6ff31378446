/// What happens on the WebSocket endpoints of an `HTTPServer`, in order per connection.
package enum WebSocketServerEvent: Sendable, Equatable {
    /// A client completed the upgrade on `path`; `id` names the connection in `send`, `close`, `drop` and `stall`.
    /// `query` is reconstructed as in `HTTPServerRequest.query`.
    case opened(id: Int, path: String, query: String?)
    /// One complete text message from connection `id` (fragments reassembled).
    case text(id: Int, text: String)
    /// Connection `id` is gone (either side closed, or the link dropped).
    case closed(id: Int)
}
