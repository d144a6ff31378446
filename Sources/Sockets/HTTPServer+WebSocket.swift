import CLibWebSockets
import Foundation

/// The WebSocket endpoints of `HTTPServer`: public methods queue a job naming the connection by id; the callbacks
/// run on the service thread (see the type's invariants).
extension HTTPServer {
    /// Queues a text message for connection `id`. Ignored if the connection is gone, closing or stalled.
    package func send(_ text: String, to id: Int) {
        serviceThread.perform { [self] in
            guard let peer = peers[id], peer.closeRequested == nil, !peer.dropRequested, !peer.stalled else { return }
            peer.outgoing.append(text)
            lws_callback_on_writable(peer.wsi)
        }
    }

    /// Closes connection `id` gracefully: a close frame with `code` and `reason` (at most 123 bytes), after the
    /// messages already queued.
    package func close(_ id: Int, code: Int = 1000, reason: String = "") {
        serviceThread.perform { [self] in
            guard let peer = peers[id] else { return }
            peer.closeRequested = (code, reason)
            lws_callback_on_writable(peer.wsi)
        }
    }

    /// Closes connection `id` abruptly: the TCP connection ends without a close frame, as when a process dies.
    package func drop(_ id: Int) {
        serviceThread.perform { [self] in
            guard let peer = peers[id] else { return }
            peer.dropRequested = true
            lws_callback_on_writable(peer.wsi)
        }
    }

    /// Makes connection `id` a half-open link: the server stops reading (so pings go unanswered) and writing, but
    /// keeps the TCP connection open. For testing a client's dead-peer detection; `drop` or `stop` ends it.
    package func stall(_ id: Int) {
        serviceThread.perform { [self] in
            guard let peer = peers[id] else { return }
            peer.stalled = true
            peer.outgoing.removeAll()
            lws_rx_flow_control(peer.wsi, 0)
        }
    }

    // MARK: - Service thread

    /// `LWS_CALLBACK_HTTP_CONFIRM_UPGRADE`: accept WebSocket upgrades on `webSocketPaths` only.
    func confirmUpgrade(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?) -> Int32 {
        let kind = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
        guard kind.lowercased() == "websocket" else {
            return lws_return_http_status(wsi, 400, nil) != 0 ? -1 : 1
        }
        let path = LWSRequestReader.value(wsi, WSI_TOKEN_GET_URI) ?? "/"
        guard configuration.webSocketPaths.contains(path) else {
            return lws_return_http_status(wsi, 404, nil) != 0 ? -1 : 1
        }
        pendingUpgrades[wsi] = (path, LWSRequestReader.query(wsi, maxLength: configuration.maxHeaderBytes))
        return 0
    }

    /// `LWS_CALLBACK_ESTABLISHED`: the upgrade is done; name the connection and report it.
    func openPeer(_ wsi: OpaquePointer) -> Int32 {
        let upgrade = pendingUpgrades.removeValue(forKey: wsi)
        forget(wsi)
        let id = makeID()
        peers[id] = WebSocketPeer(id: id, wsi: wsi)
        idByWSI[wsi] = id
        webSocketEventSink.yield(.opened(id: id, path: upgrade?.path ?? "/", query: upgrade?.query))
        return 0
    }

    /// `LWS_CALLBACK_RECEIVE`: one piece of a message; report the message when its last fragment arrives.
    /// Binary messages are read and discarded.
    func receiveMessage(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let id = idByWSI[wsi], let peer = peers[id] else { return 0 }
        if let input, length > 0 {
            peer.incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        if peer.incoming.count > configuration.maxWebSocketMessageBytes {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nil, 0)
            return -1
        }
        guard lws_is_final_fragment(wsi) != 0 else { return 0 }
        let message = peer.incoming
        peer.incoming = []
        if lws_frame_is_binary(wsi) == 0 {
            webSocketEventSink.yield(.text(id: id, text: String(decoding: message, as: UTF8.self)))
        }
        return 0
    }

    /// `LWS_CALLBACK_SERVER_WRITEABLE`: a requested drop or close, else one queued message.
    func writeMessages(_ wsi: OpaquePointer) -> Int32 {
        guard let id = idByWSI[wsi], let peer = peers[id] else { return 0 }
        if peer.dropRequested { return -1 }
        if let close = peer.closeRequested {
            var reason = Array(close.reason.utf8.prefix(123))
            lws_close_reason(wsi, lws_close_status(UInt32(close.code)), &reason, reason.count)
            return -1
        }
        guard !peer.stalled, !peer.outgoing.isEmpty else { return 0 }
        let text = peer.outgoing.removeFirst()
        guard WebSocketFrameWriter.writeText(wsi, text) else { return -1 }
        if !peer.outgoing.isEmpty || peer.closeRequested != nil { lws_callback_on_writable(wsi) }
        return 0
    }
}
