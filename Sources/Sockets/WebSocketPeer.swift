import Foundation

/// One accepted WebSocket connection on an `HTTPServer`. Confined to the server's service thread; other threads
/// name it by `id`.
final class WebSocketPeer {
    let id: Int
    let wsi: OpaquePointer
    /// Text messages waiting for `SERVER_WRITEABLE`, oldest first.
    var outgoing: [String] = []
    /// The fragments of the message being received.
    var incoming: [UInt8] = []
    /// Send a close frame with this code and reason at the next writeable callback, then close.
    var closeRequested: (code: Int, reason: String)?
    /// Close the TCP connection at the next writeable callback without a close frame.
    var dropRequested = false
    /// Reading and writing stopped to simulate a dead link.
    var stalled = false

    init(id: Int, wsi: OpaquePointer) {
        self.id = id
        self.wsi = wsi
    }
}
