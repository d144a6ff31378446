/// What a `WebSocketClient` receives, in order.
package enum WebSocketEvent: Sendable, Equatable {
    /// One complete text message (fragments reassembled).
    case text(String)
    /// The connection ended; always the last event. `code` is the peer's close code (1000 normal, 1001 going away,
    /// …) when it sent a close frame, nil when the link was lost, timed out or closed locally without one.
    case closed(code: Int?, reason: String)
}
