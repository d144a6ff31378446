import Foundation

/// Everything that can go wrong in the `Sockets` module, with enough context to act on.
///
/// Endpoints are printed without their query (a Socket Mode URL carries its ticket there), so no description ever
/// contains a credential.
package enum SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value cannot work (not an IP literal, a negative limit, …).
    case invalidConfiguration(String)
    /// The server could not listen, e.g. the address is in use.
    case listenFailed(host: String, port: Int, reason: String)
    /// `start()` or `connect()` was called a second time.
    case alreadyStarted
    /// The URL is not `ws://` or `wss://` with a host.
    case invalidURL(endpoint: String)
    /// The TCP connection could not be made (refused, unreachable, name not resolved) or dropped during the
    /// handshake.
    case connectFailed(endpoint: String, reason: String)
    /// TLS failed, certificate verification included.
    case tlsFailed(endpoint: String, reason: String)
    /// The server answered the upgrade with something other than a valid `101 Switching Protocols`.
    case handshakeRejected(endpoint: String, status: Int?, reason: String)
    /// No completed handshake within the connect timeout.
    case timedOut(endpoint: String, seconds: Double)
    /// The connection is not open (not yet connected, or already closed).
    case notConnected(endpoint: String)
    /// The operation was cancelled (the task was cancelled or `close()` was called while connecting).
    case cancelled(endpoint: String)

    package var description: String {
        switch self {
        case .invalidConfiguration(let problem):
            return "invalid socket configuration: \(problem)"
        case .listenFailed(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason); choose another port or stop the process using it"
        case .alreadyStarted:
            return "already started; create a new instance to start again"
        case .invalidURL(let endpoint):
            return "\(endpoint) is not a ws:// or wss:// URL with a host"
        case .connectFailed(let endpoint, let reason):
            return "cannot connect to \(endpoint): \(reason)"
        case .tlsFailed(let endpoint, let reason):
            return "TLS with \(endpoint) failed: \(reason); check the server certificate and the CA file"
        case .handshakeRejected(let endpoint, let status, let reason):
            let code = status.map { " with HTTP \($0)" } ?? ""
            return "\(endpoint) refused the WebSocket upgrade\(code): \(reason)"
        case .timedOut(let endpoint, let seconds):
            return "no WebSocket handshake with \(endpoint) within \(seconds) s"
        case .notConnected(let endpoint):
            return "the WebSocket to \(endpoint) is not open"
        case .cancelled(let endpoint):
            return "the WebSocket to \(endpoint) was closed before it opened"
        }
    }
}
