import CLibWebSockets
import Foundation

/// An outbound WebSocket connection over libwebsockets, `ws://` or `wss://` (Slack Socket Mode).
///
/// Single use: `connect()` once, read `messages`, `send(_:)`, `close()`; to reconnect, make a new client (a
/// Socket Mode URL is single use too). Any number of clients coexist (Socket Mode opens the replacement
/// connection before closing the old one): all clients share one lws context and service thread for the life of
/// the process (`WebSocketClientService` explains why it cannot be one per client).
///
/// `wss` always verifies the server certificate and its name: against `caFile` when given, else the system CA
/// store. There is no option to turn verification off.
///
/// Dead peers: whenever `pingInterval` passes without a frame from the server, the client sends a ping; when
/// `idleTimeout` passes without any frame (pongs included) the connection is considered dead, `messages` ends
/// with `.closed(code: nil, …)` and the socket is dropped. With the defaults (10 s, 30 s) a half-open link is
/// noticed within 30 s.
///
/// Invariants of this `@unchecked Sendable` bridge:
/// - `url`, `endpoint`, `target`, `headers`, `caFile`, `configuration` and the stream are immutable (the stream's
///   continuation is itself thread-safe).
/// - `phase`, `connectContinuation` and `streamFinished` are read and written only under `lock`; the continuation
///   is resumed exactly once, by whoever takes it out under the lock.
/// - `service` is set once, under `lock`, before the connection starts.
/// - `wsi`, `established`, `outgoing`, `incoming`, `pingDue`, `closeRequested`, `peerClose`, `lastReceived`
///   and `connectTimeout` belong to the shared service thread: only lws callbacks and jobs queued with
///   `service.serviceThread.perform` touch them. `wsi` is cleared on `CLIENT_CLOSED`, `CLIENT_CONNECTION_ERROR`
///   and `WSI_DESTROY`, so no job uses a freed `wsi`.
package final class WebSocketClient: @unchecked Sendable {
    /// Keep-alive and size limits.
    package struct Configuration: Sendable {
        /// Seconds without a frame from the server after which the client sends a ping.
        package var pingInterval: TimeInterval
        /// Seconds without any frame from the server after which the connection is declared dead.
        package var idleTimeout: TimeInterval
        /// The largest message accepted; a larger one closes the connection with 1009.
        package var maxMessageBytes: Int

        package init(pingInterval: TimeInterval = 10, idleTimeout: TimeInterval = 30,
                     maxMessageBytes: Int = 16 << 20) {
            self.pingInterval = pingInterval
            self.idleTimeout = idleTimeout
            self.maxMessageBytes = maxMessageBytes
        }
    }

    /// Where to connect, parsed once from the URL.
    struct Target: Sendable {
        var secure: Bool
        var host: String
        var port: Int
        /// Path and query exactly as percent-encoded in the URL (the Socket Mode ticket is in the query).
        var pathAndQuery: String
        /// The `Host` header: the host, plus the port when it is not the scheme's default.
        var hostHeader: String
    }

    enum Phase { case idle, connecting, open, closed }

    package let url: URL
    /// The URL without its query, safe to log.
    package let endpoint: String
    let target: Target?
    let headers: [String: String]
    let caFile: String?
    let configuration: Configuration

    /// Text messages in order, then exactly one `.closed`, then the end. Single consumer.
    package let messages: AsyncStream<WebSocketEvent>
    let messageSink: AsyncStream<WebSocketEvent>.Continuation

    private let lock = NSLock()
    private var phase = Phase.idle
    private var connectContinuation: CheckedContinuation<Void, any Error>?
    private var streamFinished = false
    private var service: WebSocketClientService?

    // Service thread only (see the type's invariants).
    var wsi: OpaquePointer?
    var established = false
    var outgoing: [String] = []
    var incoming: [UInt8] = []
    var pingDue = false
    var closeRequested = false
    var peerClose: (code: Int, reason: String)?
    var lastReceived: UInt64 = 0
    var connectTimeout: TimeInterval = 10

    /// - Parameters:
    ///   - url: `ws://` or `wss://`; path and query are sent as they are.
    ///   - headers: extra handshake headers (e.g. `Authorization`).
    ///   - caFile: a PEM file of CA certificates to trust instead of the system store (tests, private CAs).
    package init(url: URL, headers: [String: String] = [:], caFile: String? = nil,
                 configuration: Configuration = Configuration()) {
        self.url = url
        self.headers = headers
        self.caFile = caFile
        self.configuration = configuration
        (self.target, self.endpoint) = Self.parse(url)
        (messages, messageSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Opens the connection and returns once the server has answered `101 Switching Protocols`.
    ///
    /// - Parameter timeout: seconds for DNS, TCP, TLS and the upgrade together.
    /// - Throws: `SocketError.connectFailed` (refused, unreachable, unknown host), `.tlsFailed`,
    ///   `.handshakeRejected` (any status but 101), `.timedOut`, `.cancelled` (task cancelled or `close()`),
    ///   `.invalidURL`, `.invalidConfiguration` (unreadable CA file), `.alreadyStarted`.
    package func connect(timeout: TimeInterval = 10) async throws {
        guard let target else { throw SocketError.invalidURL(endpoint: endpoint) }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw SocketError.invalidConfiguration("the CA file \(caFile) is not readable")
        }
        guard beginConnecting() else { throw SocketError.alreadyStarted }

        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                guard phase == .connecting else {
                    lock.unlock()
                    continuation.resume(throwing: SocketError.cancelled(endpoint: endpoint))
                    return
                }
                connectContinuation = continuation
                let service = WebSocketClientService.shared
                self.service = service
                lock.unlock()
                service.open(self, target: target, caFile: caFile, timeout: timeout)
            }
        } onCancel: {
            close()
        }
    }

    /// Queues a text message; it is written when the socket is writeable (`send` does not wait for that).
    ///
    /// - Throws: `SocketError.notConnected` unless the connection is open.
    package func send(_ text: String) async throws {
        guard currentPhase == .open, let service = currentService else {
            throw SocketError.notConnected(endpoint: endpoint)
        }
        service.serviceThread.perform { [self] in
            guard let wsi, established, !closeRequested else { return }
            outgoing.append(text)
            lws_callback_on_writable(wsi)
        }
    }

    /// Sends a close frame (1000) after the messages already queued, ends `messages` with
    /// `.closed(code: nil, reason: "closed by this client")` at once, and aborts a connection still being
    /// made. Idempotent.
    package func close() {
        lock.lock()
        let previous = phase
        phase = .closed
        let continuation = connectContinuation
        connectContinuation = nil
        lock.unlock()

        guard previous != .closed else { return }
        continuation?.resume(throwing: SocketError.cancelled(endpoint: endpoint))
        finishStream(.closed(code: nil, reason: "closed by this client"))
        currentService?.serviceThread.perform { [self] in
            guard let wsi else { return } // not attached yet (the open job sees the phase) or already gone
            if established {
                closeRequested = true
                lws_callback_on_writable(wsi)
            } else {
                lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            }
        }
    }

    // MARK: - Shared with the service thread

    /// Moves from idle to connecting; false if `connect()` was already called.
    private func beginConnecting() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard phase == .idle else { return false }
        phase = .connecting
        return true
    }

    /// Fails `connect()` with `error` if it is still waiting; ends the stream.
    func failConnect(_ error: SocketError) {
        lock.lock()
        let continuation = connectContinuation
        connectContinuation = nil
        if continuation != nil { phase = .closed }
        lock.unlock()
        guard let continuation else { return }
        continuation.resume(throwing: error)
        finishStream(.closed(code: nil, reason: error.description))
    }

    /// Marks the connection open and lets `connect()` return. False if `close()` came first.
    func markOpen() -> Bool {
        lock.lock()
        guard phase == .connecting, let continuation = connectContinuation else {
            lock.unlock()
            return false
        }
        phase = .open
        connectContinuation = nil
        lock.unlock()
        continuation.resume()
        return true
    }

    /// The shared service, once `connect()` has picked it.
    var currentService: WebSocketClientService? {
        lock.lock()
        defer { lock.unlock() }
        return service
    }

    /// The current phase.
    var currentPhase: Phase {
        lock.lock()
        defer { lock.unlock() }
        return phase
    }

    /// Yields the last event and finishes `messages`, once.
    func finishStream(_ event: WebSocketEvent) {
        lock.lock()
        let alreadyFinished = streamFinished
        streamFinished = true
        phase = .closed
        lock.unlock()
        guard !alreadyFinished else { return }
        messageSink.yield(event)
        messageSink.finish()
    }

    /// Splits a URL into what lws needs, and its loggable form.
    private static func parse(_ url: URL) -> (Target?, String) {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let scheme = components.scheme?.lowercased() else {
            return (nil, "(unparseable URL)")
        }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let secure = scheme == "wss"
        let defaultPort = secure ? 443 : 80
        let port = components.port ?? defaultPort
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let endpoint = "\(scheme)://\(host):\(port)\(path)"
        guard scheme == "ws" || scheme == "wss", !host.isEmpty else { return (nil, endpoint) }
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        let hostHeader = port == defaultPort ? host : "\(host):\(port)"
        return (Target(secure: secure, host: host, port: port, pathAndQuery: path + query, hostHeader: hostHeader),
                endpoint)
    }
}
