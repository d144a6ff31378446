import CLibWebSockets
import Foundation

/// The inbound HTTP/1.1 server (Slack HTTP mode, webhooks, `/healthz`, the dashboard) and its WebSocket endpoints,
/// over libwebsockets.
///
/// Each request is read completely (headers and a `Content-Length` body up to `maxBodyBytes`) on the service
/// thread, then handed to `handler` in a `Task` on the Swift concurrency pool; the response comes back through
/// the service thread's job queue and is written in 16 KiB chunks. Slow clients cannot starve the others: a body
/// that pauses for `bodyIdleTimeout` or is not complete within `requestTimeout` gets 408, bodies still arriving
/// are held to their own share of lws' header buffers (`maxPendingBodies`, the longest-waiting evicted with 408),
/// and one peer address (loopback aside) holds at most `maxConnectionsPerPeer` connections. Keep-alive works; pipelining behind a body
/// does not (lws 4.1.6 bug) and closes the connection. Requests with `Transfer-Encoding` or without a valid,
/// single `Content-Length` on POST/PUT/PATCH get 411, oversized bodies 413, and both close the connection.
///
/// Paths listed in `webSocketPaths` accept WebSocket upgrades (every other upgrade gets 404 or 400); their
/// connections are reported on `webSocketEvents` and written with `send(_:to:)`.
///
/// Invariants of this `@unchecked Sendable` bridge:
/// - `configuration`, `handler`, `serviceThread` and the event stream are immutable (the stream's continuation is
///   itself thread-safe).
/// - `lifecycle` and `boundPort` are read and written only under `lock`.
/// - `exchanges`, `peers`, `idByWSI`, `pendingUpgrades`, `connectionsByPeer`, `peerByWSI`, `nextID` and
///   `chunkBuffer` belong to the service thread:
///   only lws callbacks and jobs queued through `serviceThread.perform` touch them. Handler tasks and public
///   methods reach them only by queueing a job that carries an id, never a `wsi`.
/// - A `wsi` is used only while `idByWSI` maps it, and every close path (`CLOSED_HTTP`, `CLOSED`, `WSI_DESTROY`)
///   removes it, so no job ever touches a freed `wsi`. Ids only increase, so a late job for a finished exchange
///   or a closed peer finds nothing and is dropped.
package final class HTTPServer: @unchecked Sendable {
    /// How the server listens and what it accepts.
    package struct Configuration: Sendable {
        /// An IPv4 or IPv6 literal to listen on; `0.0.0.0` or `::` for every interface.
        package var host: String
        /// The TCP port; 0 picks a free one (read it back from `HTTPServer.port`).
        package var port: Int
        /// The largest request body accepted; larger `Content-Length`s get 413 before the body is read.
        package var maxBodyBytes: Int
        /// Extra headers to read (lower-case names), e.g. `x-slack-signature`, `x-slack-request-timestamp`,
        /// `x-hub-signature-256`. The headers listed on `HTTPServerRequest.headers` are always read.
        package var capturedHeaders: [String]
        /// Seconds a handler may take; after that the client gets 503 and the handler's task is cancelled.
        package var handlerTimeout: TimeInterval
        /// Seconds lws allows for a request head to complete, for the whole body to arrive after its head, and for
        /// each response chunk to leave (lws' `timeout_secs` and `timeout_secs_ah_idle`; lws' own default is 5).
        /// A body still incomplete then gets 408 and the connection closes. The handler's time is governed by
        /// `handlerTimeout` instead.
        package var requestTimeout: Int
        /// Longest silence, in seconds, while a request body is read: a client that declared a `Content-Length`
        /// and then sends no body byte for this long gets 408 and the connection closes. Separate from, and
        /// normally shorter than, `requestTimeout` (which bounds the whole body).
        package var bodyIdleTimeout: TimeInterval
        /// The largest request head (request line plus headers), at most 65535. Larger heads are dropped by lws
        /// without a response.
        package var maxHeaderBytes: Int
        /// How many requests may be read (head) or handled at once: each holds one of lws' header buffers from its
        /// first byte to its response's last; further connections wait for a buffer. Requests waiting for the
        /// rest of their body draw on `maxPendingBodies` instead, so slow bodies never take these slots.
        package var maxConcurrentRequests: Int
        /// How many requests may wait for the rest of their body at once (a body that did not arrive with its
        /// head). Each holds a header buffer of its own share; when one more would exceed the limit, the one that
        /// has waited longest gets 408 and its connection closes. lws' buffer pool is `maxConcurrentRequests +
        /// maxPendingBodies`, at most 65535.
        package var maxPendingBodies: Int
        /// How many connections one peer address may hold open at once; 0 for no cap. A further connection gets
        /// 503 (plain HTTP; TLS connections are closed) and is closed before anything is read. Loopback peers are
        /// not capped unless `capsLoopbackPeers` is set (see there).
        package var maxConnectionsPerPeer: Int
        /// Whether `maxConnectionsPerPeer` applies to loopback peers (127.0.0.0/8, ::1) too. Off by default: the
        /// recommended deployment listens on 127.0.0.1 behind a reverse proxy on the same machine, whose
        /// connections all come from loopback and must not be capped as one client.
        package var capsLoopbackPeers: Bool
        /// Paths that accept WebSocket upgrades.
        package var webSocketPaths: [String]
        /// The largest WebSocket message accepted; a larger one closes the connection with 1009.
        package var maxWebSocketMessageBytes: Int
        /// Serve HTTPS / WSS with this certificate; nil for plain HTTP.
        package var tls: TLSIdentity?

        package init(host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 1 << 20,
                     capturedHeaders: [String] = [], handlerTimeout: TimeInterval = 30, requestTimeout: Int = 5,
                     bodyIdleTimeout: TimeInterval = 2, maxHeaderBytes: Int = 16 * 1024,
                     maxConcurrentRequests: Int = 256, maxPendingBodies: Int = 64, maxConnectionsPerPeer: Int = 64,
                     capsLoopbackPeers: Bool = false,
                     webSocketPaths: [String] = [], maxWebSocketMessageBytes: Int = 16 << 20,
                     tls: TLSIdentity? = nil) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.capturedHeaders = capturedHeaders
            self.handlerTimeout = handlerTimeout
            self.requestTimeout = requestTimeout
            self.bodyIdleTimeout = bodyIdleTimeout
            self.maxHeaderBytes = maxHeaderBytes
            self.maxConcurrentRequests = maxConcurrentRequests
            self.maxPendingBodies = maxPendingBodies
            self.maxConnectionsPerPeer = maxConnectionsPerPeer
            self.capsLoopbackPeers = capsLoopbackPeers
            self.webSocketPaths = webSocketPaths
            self.maxWebSocketMessageBytes = maxWebSocketMessageBytes
            self.tls = tls
        }
    }

    /// PEM files for a TLS listener.
    package struct TLSIdentity: Sendable {
        package var certificateFile: String
        package var privateKeyFile: String

        package init(certificateFile: String, privateKeyFile: String) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }
    }

    private enum Lifecycle { case new, starting, running, stopped }

    /// Bytes of response body written per writeable callback.
    static let chunkSize = 16 * 1024

    package let configuration: Configuration
    let handler: @Sendable (HTTPServerRequest) async -> HTTPServerResponse
    let serviceThread = LWSServiceThread(name: "soc2bot-http")
    /// Lower-cased `configuration.capturedHeaders`.
    let capturedHeaders: [String]

    /// Opened connections, their text messages and their ends, for every WebSocket path. Single consumer; finishes
    /// when the server stops.
    package let webSocketEvents: AsyncStream<WebSocketServerEvent>
    let webSocketEventSink: AsyncStream<WebSocketServerEvent>.Continuation

    private let lock = NSLock()
    private var lifecycle = Lifecycle.new
    private var boundPort = 0

    // Service thread only (see the type's invariants).
    var exchanges: [Int: HTTPExchange] = [:]
    var peers: [Int: WebSocketPeer] = [:]
    var idByWSI: [OpaquePointer: Int] = [:]
    var pendingUpgrades: [OpaquePointer: (path: String, query: String?)] = [:]
    /// Open connections by peer address (`maxConnectionsPerPeer`), and the address each counted `wsi` holds.
    var connectionsByPeer: [String: Int] = [:]
    var peerByWSI: [OpaquePointer: String] = [:]
    var nextID = 1
    var chunkBuffer = [UInt8](repeating: 0, count: Int(soc2bot_lws_pre()) + HTTPServer.chunkSize)

    /// - Parameter handler: answers one request; runs on the concurrency pool, many at once. Its task is
    ///   cancelled when the client disconnects or `handlerTimeout` passes; what it returns then is dropped.
    package init(configuration: Configuration,
                 handler: @escaping @Sendable (HTTPServerRequest) async -> HTTPServerResponse) {
        self.configuration = configuration
        self.handler = handler
        self.capturedHeaders = configuration.capturedHeaders.map { $0.lowercased() }
        (webSocketEvents, webSocketEventSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The port the server listens on (the ephemeral one when configured with 0); 0 before `start()`.
    package var port: Int {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// Binds the listener and starts the service thread. Blocks for the few milliseconds lws takes to create its
    /// context.
    ///
    /// - Throws: `SocketError.listenFailed` (address in use, not available, not permitted),
    ///   `.invalidConfiguration`, `.alreadyStarted`.
    package func start() throws {
        lock.lock()
        guard lifecycle == .new else {
            lock.unlock()
            throw SocketError.alreadyStarted
        }
        lifecycle = .starting
        lock.unlock()

        let family: Int32
        do {
            family = try Self.validate(configuration)
            if configuration.port != 0 {
                try Self.checkBindable(host: configuration.host, port: configuration.port, family: family)
            }
        } catch {
            setLifecycle(.stopped)
            throw error
        }

        let outcome = StartOutcome()
        let configuration = self.configuration
        serviceThread.start(protocolName: "soc2bot-http", rxBufferSize: 0, handler: self, configure: { info, arena in
            var options = UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
            if family == AF_INET { options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6) }
            info.port = Int32(configuration.port)
            let anyAddress = configuration.host == "0.0.0.0" || configuration.host == "::"
            info.iface = anyAddress ? nil : arena.copy(configuration.host)
            info.max_http_header_data = UInt16(configuration.maxHeaderBytes)
            // One pool for heads, handled requests and pending bodies; `HTTPServer+HTTP` keeps the pending ones
            // within their share.
            info.max_http_header_pool = UInt16(configuration.maxConcurrentRequests + configuration.maxPendingBodies)
            info.timeout_secs = UInt32(configuration.requestTimeout)
            // The same limit for a connection that holds a header buffer without completing its head.
            info.timeout_secs_ah_idle = UInt32(configuration.requestTimeout)
            info.server_string = arena.copy("soc2bot")
            if let tls = configuration.tls {
                options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
                info.ssl_cert_filepath = arena.copy(tls.certificateFile)
                info.ssl_private_key_filepath = arena.copy(tls.privateKeyFile)
                // HTTP/1.1 only: this server speaks h1 and WebSocket, not h2.
                info.alpn = arena.copy("http/1.1")
            }
            info.options = options
        }, started: { context in
            var port = 0
            if let context, let vhost = lws_get_vhost_by_name(context, "default") {
                port = Int(lws_get_vhost_listen_port(vhost))
            }
            outcome.finish(port: port)
        })

        let port = outcome.wait()
        guard port > 0 else {
            serviceThread.stop(waiting: true)
            setLifecycle(.stopped)
            let reason = configuration.tls == nil
                ? "libwebsockets could not open the listener"
                : "libwebsockets could not open the listener or load the TLS certificate and key"
            throw SocketError.listenFailed(host: configuration.host, port: configuration.port, reason: reason)
        }
        lock.lock()
        boundPort = port
        lifecycle = .running
        lock.unlock()
    }

    /// Closes the listener and every connection, cancels running handlers, finishes `webSocketEvents` and joins
    /// the service thread. Idempotent; the port is free when it returns. Must not be called from a handler that
    /// waits for its own response.
    package func stop() {
        setLifecycle(.stopped)
        serviceThread.stop(waiting: true)
        webSocketEventSink.finish()
    }

    private func setLifecycle(_ value: Lifecycle) {
        lock.lock()
        lifecycle = value
        lock.unlock()
    }

    /// Checks the configuration and returns the address family of `host`.
    private static func validate(_ configuration: Configuration) throws -> Int32 {
        guard (0...65535).contains(configuration.port) else {
            throw SocketError.invalidConfiguration("port \(configuration.port) is outside 0...65535")
        }
        guard (1024...65535).contains(configuration.maxHeaderBytes) else {
            throw SocketError.invalidConfiguration("maxHeaderBytes \(configuration.maxHeaderBytes) is outside 1024...65535")
        }
        guard configuration.maxBodyBytes >= 0, configuration.maxWebSocketMessageBytes > 0,
              configuration.maxConcurrentRequests > 0, configuration.maxPendingBodies > 0,
              configuration.maxConnectionsPerPeer >= 0 else {
            throw SocketError.invalidConfiguration("body, message, concurrency and connection limits must be positive")
        }
        guard configuration.maxConcurrentRequests + configuration.maxPendingBodies <= 65535 else {
            throw SocketError.invalidConfiguration("maxConcurrentRequests + maxPendingBodies must be at most 65535")
        }
        guard configuration.handlerTimeout > 0, configuration.requestTimeout > 0, configuration.bodyIdleTimeout > 0 else {
            throw SocketError.invalidConfiguration("timeouts must be positive")
        }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, configuration.host, &v4) == 1 { return AF_INET }
        if inet_pton(AF_INET6, configuration.host, &v6) == 1 { return AF_INET6 }
        throw SocketError.invalidConfiguration(
            "host \"\(configuration.host)\" is not an IP address; use 127.0.0.1, 0.0.0.0, ::1 or ::")
    }

    /// Binds a throwaway socket (with `SO_REUSEADDR`, like lws) to report why the real bind would fail, since lws
    /// only logs it.
    private static func checkBindable(host: String, port: Int, family: Int32) throws {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard result != 0 else { return }
        let code = errno
        let reason: String
        switch code {
        case EADDRINUSE: reason = "the address is already in use"
        case EADDRNOTAVAIL: reason = "the address does not belong to this machine"
        case EACCES: reason = "permission denied (ports below 1024 need privileges)"
        default: reason = String(cString: strerror(code))
        }
        throw SocketError.listenFailed(host: host, port: port, reason: reason)
    }
}

/// The bound port, passed from the service thread to `start()`. The semaphore orders the write before the read.
private final class StartOutcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var port = 0

    func finish(port: Int) {
        self.port = port
        done.signal()
    }

    func wait() -> Int {
        done.wait()
        return port
    }
}
