import CLibWebSockets
import Foundation

/// How `HTTPServer` keeps slow or greedy clients from starving the others; service thread only (see the type's
/// invariants).
///
/// lws holds one header buffer (an "ah") per request from the connection's first byte until the response is out,
/// body included, and a connection that finds the pool empty waits, unread, until one is free. So 300 clients that
/// send a head with a `Content-Length` and then nothing held every buffer until lws timed them out, and a signed
/// Slack request waited behind them for seconds. Three limits answer that:
/// - a body must keep arriving: `bodyIdleTimeout` of silence, or `requestTimeout` since the head, gets 408;
/// - requests still waiting for their body have their own share of the pool (`maxPendingBodies`); when one more
///   arrives beyond it, the one that has waited longest gets 408, so `maxConcurrentRequests` buffers stay for
///   requests that arrive whole (what Slack sends);
/// - one peer address holds at most `maxConnectionsPerPeer` connections; the next one gets 503 at once (loopback
///   peers, a reverse proxy on the same machine, are not capped by default).
extension HTTPServer {
    // MARK: - Connections per peer

    /// `LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED`: counts the connection against its peer address, or refuses it
    /// (a non-zero return makes lws close it before reading anything).
    func admitConnection(_ wsi: OpaquePointer) -> Int32 {
        let cap = configuration.maxConnectionsPerPeer
        guard cap > 0 else { return 0 }
        var name = [CChar](repeating: 0, count: 64)
        guard lws_get_peer_simple(wsi, &name, name.count) != nil else { return 0 }
        let peer = LWSRequestReader.string(name)
        if !configuration.capsLoopbackPeers && Self.isLoopback(peer) { return 0 }
        let open = connectionsByPeer[peer, default: 0]
        guard open < cap else {
            if configuration.tls == nil { refuseRaw(lws_get_socket_fd(wsi), cap: cap) }
            return -1
        }
        connectionsByPeer[peer] = open + 1
        peerByWSI[wsi] = peer
        return 0
    }

    /// 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a listener on `::`).
    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address.hasPrefix("::ffff:127.") || address == "::1"
    }

    /// `LWS_CALLBACK_WSI_DESTROY`: the connection no longer counts against its peer.
    func releaseConnection(_ wsi: OpaquePointer) {
        guard let peer = peerByWSI.removeValue(forKey: wsi) else { return }
        let open = connectionsByPeer[peer, default: 1] - 1
        connectionsByPeer[peer] = open > 0 ? open : nil
    }

    /// Writes a 503 straight to a fresh plain-HTTP socket lws is about to close. What the client already sent is
    /// read and dropped first, so the close is a FIN and not a reset that could discard the answer.
    private func refuseRaw(_ fd: Int32, cap: Int) {
        guard fd >= 0 else { return }
        let body = "this address already has \(cap) connections open; retry later\n"
        let text = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
            + "content-length: \(body.utf8.count)\r\nretry-after: 1\r\nconnection: close\r\n\r\n" + body
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        var sink = [UInt8](repeating: 0, count: 4096)
        var reads = 0
        while reads < 16, recv(fd, &sink, sink.count, Int32(MSG_DONTWAIT)) > 0 { reads += 1 }
        shutdown(fd, Int32(SHUT_WR))
    }

    // MARK: - Bodies

    /// The head of a request with a body is in: start the body clocks and keep pending bodies within their share.
    func awaitBody(_ exchange: HTTPExchange) {
        let now = ContinuousClock.now
        exchange.headReadAt = now
        exchange.lastBodyByteAt = now
        // lws' own timeout is the backstop only: our timer answers 408 before it would close without a word.
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_HTTP_CONTENT, Int32(configuration.requestTimeout) + 1)
        armBodyTimer(exchange, now: now)
        evictPendingBodies(beyond: configuration.maxPendingBodies)
    }

    /// Some body arrived and more is due: the idle clock restarts.
    func bodyProgressed(_ exchange: HTTPExchange) {
        let now = ContinuousClock.now
        exchange.lastBodyByteAt = now
        armBodyTimer(exchange, now: now)
    }

    /// `LWS_CALLBACK_TIMER` while the body is read: 408 once the body has been silent for `bodyIdleTimeout` or
    /// incomplete for `requestTimeout`, else the timer is set again for what is left.
    func bodyTimerFired(_ exchange: HTTPExchange) {
        let now = ContinuousClock.now
        guard let deadline = bodyDeadline(exchange), now >= deadline.at else {
            armBodyTimer(exchange, now: now)
            return
        }
        respond(exchange, .text(408, deadline.reason), close: true)
    }

    /// When the body of `exchange` runs out of time, and what the 408 says then.
    private func bodyDeadline(_ exchange: HTTPExchange) -> (at: ContinuousClock.Instant, reason: String)? {
        guard let head = exchange.headReadAt, let last = exchange.lastBodyByteAt else { return nil }
        let idle = last + .seconds(configuration.bodyIdleTimeout)
        let whole = head + .seconds(configuration.requestTimeout)
        if idle < whole {
            return (idle, "no body byte arrived for \(configuration.bodyIdleTimeout) s; send the body with the head\n")
        }
        return (whole, "the body did not arrive within \(configuration.requestTimeout) s of the head\n")
    }

    private func armBodyTimer(_ exchange: HTTPExchange, now: ContinuousClock.Instant) {
        guard let deadline = bodyDeadline(exchange) else { return }
        let left = deadline.at - now
        let microseconds = max(1, left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000)
        lws_set_timer_usecs(exchange.wsi, lws_usec_t(microseconds))
    }

    /// Answers 408 to the requests that have waited longest for their body until at most `limit` wait.
    private func evictPendingBodies(beyond limit: Int) {
        let pending = exchanges.values.filter { $0.phase == .receivingBody && $0.expectedBodyBytes > 0 }
        guard pending.count > limit else { return }
        for exchange in pending.sorted(by: { $0.id < $1.id }).prefix(pending.count - limit) {
            respond(exchange, .text(408, "the body was too slow while other requests waited; send the body with the head\n"),
                    close: true)
        }
    }
}
