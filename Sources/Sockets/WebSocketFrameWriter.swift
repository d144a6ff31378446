import CLibWebSockets
import Foundation

/// Writes WebSocket frames with the `LWS_PRE` headroom lws needs in front of the payload. Service thread only,
/// from a writeable callback.
enum WebSocketFrameWriter {
    /// Writes `text` as one text message. lws buffers what the socket does not take at once and calls the
    /// writeable callback again only when that is flushed. Returns false when the connection should close.
    static func writeText(_ wsi: OpaquePointer, _ text: String) -> Bool {
        var utf8 = Array(text.utf8)
        return write(wsi, &utf8, LWS_WRITE_TEXT)
    }

    /// Writes an empty ping.
    static func writePing(_ wsi: OpaquePointer) -> Bool {
        var empty: [UInt8] = []
        return write(wsi, &empty, LWS_WRITE_PING)
    }

    private static func write(_ wsi: OpaquePointer, _ payload: inout [UInt8], _ kind: lws_write_protocol) -> Bool {
        let pre = Int(soc2bot_lws_pre())
        var buffer = [UInt8](repeating: 0, count: pre + payload.count)
        buffer.replaceSubrange(pre..., with: payload)
        let count = payload.count
        let written = buffer.withUnsafeMutableBufferPointer { lws_write(wsi, $0.baseAddress! + pre, count, kind) }
        return written >= Int32(count)
    }
}
