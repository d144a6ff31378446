import CLibWebSockets
import Foundation

/// The lws side of `HTTPServer`: every method here runs on the service thread (see the type's invariants).
extension HTTPServer: LWSCallbackHandler {
    func handleCallback(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?,
                        length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_HTTP:
            return beginExchange(wsi, uri: input, length: length)
        case LWS_CALLBACK_HTTP_BODY:
            return receiveBody(wsi, input, length)
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return completeBody(wsi)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return writeResponse(wsi)
        case LWS_CALLBACK_TIMER:
            return timerFired(wsi)
        case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
            return admitConnection(wsi)
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi, input)
        case LWS_CALLBACK_ESTABLISHED:
            return openPeer(wsi)
        case LWS_CALLBACK_RECEIVE:
            return receiveMessage(wsi, input, length)
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return writeMessages(wsi)
        case LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_CLOSED:
            // HTTP_DROP_PROTOCOL is not a close: lws sends it when it re-binds the protocol between keep-alive
            // transactions and during a WebSocket upgrade, with the wsi still alive.
            forget(wsi)
            return 0
        case LWS_CALLBACK_WSI_DESTROY:
            forget(wsi)
            releaseConnection(wsi)
            return 0
        default:
            return 0
        }
    }

    func serviceDidStop() {
        for exchange in exchanges.values { exchange.task?.cancel() }
        for peer in peers.values { webSocketEventSink.yield(.closed(id: peer.id)) }
        exchanges.removeAll()
        peers.removeAll()
        idByWSI.removeAll()
        pendingUpgrades.removeAll()
        connectionsByPeer.removeAll()
        peerByWSI.removeAll()
        webSocketEventSink.finish()
    }

    /// Drops everything known about a `wsi` that is closing or being destroyed.
    func forget(_ wsi: OpaquePointer) {
        pendingUpgrades[wsi] = nil
        guard let id = idByWSI.removeValue(forKey: wsi) else { return }
        if let exchange = exchanges.removeValue(forKey: id) { exchange.task?.cancel() }
        if let peer = peers.removeValue(forKey: id) { webSocketEventSink.yield(.closed(id: peer.id)) }
    }

    func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: - Request

    /// `LWS_CALLBACK_HTTP`: the head is parsed. Validates the framing, then either dispatches at once (no body),
    /// waits for the body, or answers an error and closes.
    private func beginExchange(_ wsi: OpaquePointer, uri: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        forget(wsi) // a keep-alive connection's previous exchange is over
        guard let method = LWSRequestReader.method(wsi) else { return -1 }
        let path = uri.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) }
        let headers = LWSRequestReader.headers(wsi, captured: capturedHeaders)
        let query = LWSRequestReader.query(wsi, maxLength: configuration.maxHeaderBytes)

        let carriesBody = ["POST", "PUT", "PATCH"].contains(method)
        var refusal: HTTPServerResponse?
        var expected = 0
        if lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 {
            refusal = .text(411, "Transfer-Encoding is not supported; send the body with a Content-Length\n")
        } else if let declared = headers["content-length"] {
            if LWSRequestReader.isRepeated(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) {
                refusal = .text(411, "more than one Content-Length header\n")
            } else if let value = Int(declared), declared.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                expected = value
            } else {
                refusal = .text(carriesBody ? 411 : 400, "invalid Content-Length\n")
            }
        } else if carriesBody {
            refusal = .text(411, "a Content-Length header is required\n")
        }
        if refusal == nil && expected > configuration.maxBodyBytes {
            refusal = .text(413, "the body is larger than \(configuration.maxBodyBytes) bytes\n")
        }

        let id = makeID()
        let exchange = HTTPExchange(id: id, wsi: wsi, method: method, path: path ?? "/", query: query,
                                    headers: headers, expectedBodyBytes: expected, phase: .receivingBody)
        exchanges[id] = exchange
        idByWSI[wsi] = id

        if let refusal {
            // The unread body (or chunked stream) still follows on the socket: answer and close.
            respond(exchange, refusal, close: true)
            return 0
        }
        if expected > 0 {
            if LWSRequestReader.value(wsi, WSI_TOKEN_HTTP_EXPECT)?.lowercased() == "100-continue" {
                // lws never answers Expect itself; curl would otherwise wait a second before sending.
                guard writeRaw(wsi, "HTTP/1.1 100 Continue\r\n\r\n") else { return -1 }
            }
            awaitBody(exchange)
            return 0
        }
        if method == "POST" {
            // lws reports an explicit `Content-Length: 0` POST as an empty HTTP_BODY + HTTP_BODY_COMPLETION
            // right after this callback; dispatch from there.
            return 0
        }
        dispatch(exchange)
        return 0
    }

    /// `LWS_CALLBACK_HTTP_BODY`: appends one piece of the body.
    private func receiveBody(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let id = idByWSI[wsi], let exchange = exchanges[id] else { return 0 }
        guard exchange.phase == .receivingBody else { return 0 } // the body of a refused request: discard
        if let input, length > 0 {
            exchange.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
        }
        if exchange.body.count > exchange.expectedBodyBytes {
            respond(exchange, .text(413, "the body is longer than its Content-Length\n"), close: true)
        } else if exchange.body.count < exchange.expectedBodyBytes {
            bodyProgressed(exchange)
        }
        return 0
    }

    /// `LWS_CALLBACK_HTTP_BODY_COMPLETION`: the body is complete; dispatch. A second completion for the same
    /// request is lws 4.1.6's pipelining bug (bytes after the body are reported as another completion): close.
    private func completeBody(_ wsi: OpaquePointer) -> Int32 {
        guard let id = idByWSI[wsi], let exchange = exchanges[id] else { return -1 }
        exchange.bodyCompletions += 1
        if exchange.bodyCompletions > 1 {
            exchange.task?.cancel()
            return -1
        }
        if exchange.phase == .receivingBody { dispatch(exchange) }
        return 0
    }

    /// Hands the request to the handler on the concurrency pool. lws' own 5 s timeout is replaced by
    /// `handlerTimeout` (our timer answers 503) plus `requestTimeout` as a backstop.
    private func dispatch(_ exchange: HTTPExchange) {
        exchange.phase = .handling
        let timeout = configuration.handlerTimeout
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK,
                        Int32(timeout.rounded(.up)) + Int32(configuration.requestTimeout))
        lws_set_timer_usecs(exchange.wsi, lws_usec_t(timeout * 1_000_000))
        let request = exchange.request
        let id = exchange.id
        let handler = self.handler
        exchange.task = Task { [self] in
            let response = await handler(request)
            serviceThread.perform { [self] in deliver(response, to: id) }
        }
    }

    /// A handler's answer, back on the service thread. Dropped when the exchange is gone (client left, timed out).
    private func deliver(_ response: HTTPServerResponse, to id: Int) {
        guard let exchange = exchanges[id], exchange.phase == .handling else { return }
        exchange.task = nil
        respond(exchange, response, close: false)
    }

    /// `LWS_CALLBACK_TIMER`: the body or the handler ran out of time.
    private func timerFired(_ wsi: OpaquePointer) -> Int32 {
        guard let id = idByWSI[wsi], let exchange = exchanges[id] else { return 0 }
        switch exchange.phase {
        case .receivingBody: bodyTimerFired(exchange)
        case .handling: handlerTimedOut(exchange)
        case .responding, .closing: break
        }
        return 0
    }

    /// The handler ran out of time: 503, and its task is cancelled.
    private func handlerTimedOut(_ exchange: HTTPExchange) {
        exchange.task?.cancel()
        exchange.task = nil
        let seconds = configuration.handlerTimeout
        respond(exchange, .text(503, "the request was not answered within \(seconds) s\n"), close: false)
    }

    // MARK: - Response

    /// Starts writing `response` at the next `HTTP_WRITEABLE`.
    func respond(_ exchange: HTTPExchange, _ response: HTTPServerResponse, close: Bool) {
        exchange.response = response
        exchange.closeAfterResponse = close
        exchange.phase = .responding
        lws_set_timer_usecs(exchange.wsi, -1) // LWS_SET_TIMER_USEC_CANCEL
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_HTTP_CONTENT, Int32(configuration.requestTimeout))
        lws_callback_on_writable(exchange.wsi)
    }

    /// `LWS_CALLBACK_HTTP_WRITEABLE`: the head first, then one chunk of body per call.
    private func writeResponse(_ wsi: OpaquePointer) -> Int32 {
        guard let id = idByWSI[wsi], let exchange = exchanges[id] else { return 0 }
        switch exchange.phase {
        case .closing:
            return -1
        case .responding:
            break
        case .receivingBody, .handling:
            return 0
        }
        guard let response = exchange.response else { return -1 }
        let sendsBody = exchange.method != "HEAD" && !response.body.isEmpty

        if !exchange.headersSent {
            guard writeHead(exchange, response) else { return -1 }
            exchange.headersSent = true
            if sendsBody {
                lws_callback_on_writable(wsi)
                return 0
            }
            return finish(exchange)
        }

        let body = response.body
        let count = min(Self.chunkSize, body.count - exchange.bodyOffset)
        let isLast = exchange.bodyOffset + count == body.count
        let pre = Int(soc2bot_lws_pre())
        let start = body.startIndex + exchange.bodyOffset
        let written = chunkBuffer.withUnsafeMutableBufferPointer { buffer -> Int32 in
            let payload = buffer.baseAddress! + pre
            body.copyBytes(to: payload, from: start..<(start + count))
            return lws_write(wsi, payload, count, isLast ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        }
        guard written >= Int32(count) else { return -1 }
        exchange.bodyOffset += count
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, Int32(configuration.requestTimeout))
        if !isLast {
            lws_callback_on_writable(wsi)
            return 0
        }
        return finish(exchange)
    }

    /// The response is out: close if asked (after lws has flushed), else complete the transaction for keep-alive.
    private func finish(_ exchange: HTTPExchange) -> Int32 {
        if exchange.closeAfterResponse {
            exchange.phase = .closing
            lws_callback_on_writable(exchange.wsi)
            return 0
        }
        exchanges[exchange.id] = nil
        idByWSI[exchange.wsi] = nil
        return lws_http_transaction_completed(exchange.wsi) != 0 ? -1 : 0
    }

    /// Writes the status line and headers; `content-length` comes from the body, `connection: close` when the
    /// connection closes after this response.
    private func writeHead(_ exchange: HTTPExchange, _ response: HTTPServerResponse) -> Bool {
        let managed: Set<String> = ["content-length", "connection", "transfer-encoding"]
        var fields: [(name: String, value: String)] = response.headers.compactMap { field in
            let name = Self.headerSafe(field.name).lowercased()
            guard !name.isEmpty, !managed.contains(name) else { return nil }
            return (name, Self.headerSafe(field.value))
        }
        if exchange.closeAfterResponse { fields.append(("connection", "close")) }

        let pre = Int(soc2bot_lws_pre())
        let size = pre + 512 + fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        var buffer = [UInt8](repeating: 0, count: size)
        let wsi = exchange.wsi
        return buffer.withUnsafeMutableBufferPointer { raw -> Bool in
            let start = raw.baseAddress! + pre
            let end = raw.baseAddress! + raw.count
            var cursor: UnsafeMutablePointer<UInt8>? = start
            guard lws_add_http_common_headers(wsi, UInt32(response.status), nil,
                                              lws_filepos_t(response.body.count), &cursor, end) == 0 else {
                return false
            }
            for field in fields {
                let name = Array((field.name + ":").utf8) + [0]
                let value = Array(field.value.utf8)
                guard lws_add_http_header_by_name(wsi, name, value, Int32(value.count), &cursor, end) == 0 else {
                    return false
                }
            }
            return lws_finalize_write_http_header(wsi, start, &cursor, end) == 0
        }
    }

    /// Writes bytes as they are (an interim `100 Continue`).
    private func writeRaw(_ wsi: OpaquePointer, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let pre = Int(soc2bot_lws_pre())
        var buffer = [UInt8](repeating: 0, count: pre + bytes.count)
        buffer.replaceSubrange(pre..., with: bytes)
        let written = buffer.withUnsafeMutableBufferPointer {
            lws_write(wsi, $0.baseAddress! + pre, bytes.count, LWS_WRITE_HTTP_HEADERS_CONTINUATION)
        }
        return written >= Int32(bytes.count)
    }

    /// Removes CR and LF so a header value cannot split the response.
    private static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}
