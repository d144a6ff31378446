import CLibWebSockets
import Foundation

/// The lws side of `WebSocketClient`: everything here runs on the shared service thread (see the type's
/// invariants), called by `WebSocketClientService` for this client's connection.
extension WebSocketClient {
    /// The connection exists: remember it and arm the connect deadline.
    func attach(_ wsi: OpaquePointer, connectTimeout: TimeInterval) {
        self.wsi = wsi
        self.connectTimeout = connectTimeout
        lws_set_timer_usecs(wsi, Self.microseconds(connectTimeout))
    }

    func handleCallback(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?,
                        length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return appendHeaders(wsi, input, length)
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            var message = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
            if let logged = LWSLog.takeLastError(), logged.hasPrefix("SSL error") {
                message = "\(logged) (\(message))"
            }
            failConnect(classify(message, status: Int(lws_http_client_http_response(wsi))))
            connectionEnded(wsi, reason: message)
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            return open(wsi)
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return receive(wsi, input, length)
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            lastReceived = Self.now()
            return 0
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return write(wsi)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            peerClose = Self.closePayload(input, length)
            return 0
        case LWS_CALLBACK_TIMER:
            return timerFired(wsi)
        case LWS_CALLBACK_CLIENT_CLOSED:
            connectionEnded(wsi, reason: "the connection closed")
            return 0
        case LWS_CALLBACK_WSI_DESTROY:
            connectionEnded(wsi, reason: "the connection was lost")
            return 0
        default:
            return 0
        }
    }

    /// The shared service stopped (only at process teardown).
    func serviceStopped() {
        wsi = nil
        failConnect(.connectFailed(endpoint: endpoint, reason: "the client service stopped"))
        finishStream(.closed(code: nil, reason: "the client service stopped"))
    }

    /// The connection is over: report it (once) and let the service forget this client.
    private func connectionEnded(_ wsi: OpaquePointer, reason: String) {
        self.wsi = nil
        if established {
            finishStream(.closed(code: peerClose?.code, reason: peerClose?.reason ?? reason))
        } else {
            failConnect(.connectFailed(endpoint: endpoint, reason: reason))
        }
        currentService?.forget(self)
    }

    private func open(_ wsi: OpaquePointer) -> Int32 {
        self.wsi = wsi
        established = true
        lastReceived = Self.now()
        guard markOpen() else {
            // close() won the race: leave with a close frame.
            closeRequested = true
            lws_callback_on_writable(wsi)
            return 0
        }
        lws_set_timer_usecs(wsi, Self.microseconds(configuration.pingInterval))
        return 0
    }

    private func appendHeaders(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard !headers.isEmpty, let input else { return 0 }
        let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = cursor.pointee else { return -1 }
        let end = start + length
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let nameBytes = Array((name.lowercased() + ":").utf8) + [0]
            let valueBytes = Array(value.utf8.filter { $0 != 13 && $0 != 10 })
            guard lws_add_http_header_by_name(wsi, nameBytes, valueBytes, Int32(valueBytes.count), cursor, end) == 0
            else { return -1 }
        }
        return 0
    }

    private func receive(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        lastReceived = Self.now()
        if let input, length > 0 {
            incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        if incoming.count > configuration.maxMessageBytes {
            finishStream(.closed(code: nil, reason: "a message exceeded \(configuration.maxMessageBytes) bytes"))
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nil, 0)
            return -1
        }
        guard lws_is_final_fragment(wsi) != 0 else { return 0 }
        let message = incoming
        incoming = []
        if lws_frame_is_binary(wsi) == 0 {
            messageSink.yield(.text(String(decoding: message, as: UTF8.self)))
        }
        return 0
    }

    /// One write per writeable callback: a due ping, else the oldest message, else the requested close frame.
    private func write(_ wsi: OpaquePointer) -> Int32 {
        if pingDue {
            pingDue = false
            guard WebSocketFrameWriter.writePing(wsi) else { return -1 }
        } else if !outgoing.isEmpty {
            guard WebSocketFrameWriter.writeText(wsi, outgoing.removeFirst()) else { return -1 }
        } else if closeRequested {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nil, 0)
            return -1
        } else {
            return 0
        }
        if pingDue || !outgoing.isEmpty || closeRequested { lws_callback_on_writable(wsi) }
        return 0
    }

    /// `LWS_CALLBACK_TIMER`: the connect deadline while connecting; afterwards the ping and idle watchdog.
    private func timerFired(_ wsi: OpaquePointer) -> Int32 {
        guard established else {
            failConnect(.timedOut(endpoint: endpoint, seconds: connectTimeout))
            return -1
        }
        guard !closeRequested else { return 0 }
        let idle = Double(Self.now() - lastReceived) / 1e9
        if idle >= configuration.idleTimeout {
            let seconds = configuration.idleTimeout
            finishStream(.closed(code: nil, reason: "no frame from the server for \(seconds) s; the link is dead"))
            return -1
        }
        if idle >= configuration.pingInterval {
            pingDue = true
            lws_callback_on_writable(wsi)
        }
        let untilPing = idle < configuration.pingInterval ? configuration.pingInterval - idle
                                                          : configuration.pingInterval
        let next = max(0.01, min(untilPing, configuration.idleTimeout - idle))
        lws_set_timer_usecs(wsi, Self.microseconds(next))
        return 0
    }

    /// Maps lws' connection-error text to an error case. lws reports TLS, TCP and handshake failures all through
    /// `CLIENT_CONNECTION_ERROR`, distinguished only by this text.
    private func classify(_ message: String, status: Int) -> SocketError {
        let lower = message.lowercased()
        let text = message.isEmpty ? "no reason given" : message
        if ["tls", "ssl", "cert", "verif"].contains(where: lower.contains) {
            return .tlsFailed(endpoint: endpoint, reason: text)
        }
        if lower.hasPrefix("hs:") || lower.contains("upgrade") {
            return .handshakeRejected(endpoint: endpoint, status: status > 0 ? status : nil, reason: text)
        }
        return .connectFailed(endpoint: endpoint, reason: text)
    }

    /// The code and reason of a close frame's payload (big-endian code, then UTF-8).
    private static func closePayload(_ input: UnsafeMutableRawPointer?, _ length: Int) -> (code: Int, reason: String)? {
        guard let input, length >= 2 else { return nil }
        let bytes = UnsafeRawBufferPointer(start: input, count: length)
        let code = Int(bytes[0]) << 8 | Int(bytes[1])
        return (code, String(decoding: bytes[2...], as: UTF8.self))
    }

    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    static func microseconds(_ seconds: TimeInterval) -> lws_usec_t {
        lws_usec_t(seconds * 1_000_000)
    }
}
