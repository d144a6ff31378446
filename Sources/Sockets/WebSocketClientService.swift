import CLibWebSockets
import Foundation

/// The one lws client context and service thread that every `WebSocketClient` shares, for the life of the
/// process, with one vhost per CA file.
///
/// Why one, never destroyed: lws 4.1.6 keeps its OpenSSL ex-data indexes in process globals and assigns new ones
/// each time a context is created with TLS (`lws_context_init_ssl_library`). A handshake whose `SSL` was tagged
/// under the old index then finds no connection in the certificate-verify callback and fails ("can't get wsi
/// from ssl privdata"), and destroying a context after the index moved leaks its client `SSL_CTX`. So client
/// contexts are not created per connection: this context is created once, and a CA file gets a vhost (vhosts do
/// not touch the indexes). A TLS `HTTPServer` creates a context too: start it before opening `wss` connections,
/// as the bot does at boot. The idle context costs one sleeping thread.
///
/// Connections are told apart by an id stored as the wsi's opaque user data, which lws sets before the first
/// callback of the connection.
///
/// Invariants of this `@unchecked Sendable` bridge: `serviceThread` is immutable; `context`, `startFailure`,
/// `vhosts`, `clients` and `nextID` belong to the service thread (set in its `started` callback or in jobs);
/// other threads reach a connection only through `serviceThread.perform`.
final class WebSocketClientService: @unchecked Sendable, LWSCallbackHandler {
    /// lws' own per-phase timeouts (TCP connect, TLS, awaiting the 101). `WebSocketClient.connect(timeout:)`
    /// enforces its own deadline with a timer.
    static let lwsPhaseTimeout: UInt32 = 30

    /// The process' client service, started on first use.
    static let shared: WebSocketClientService = {
        let service = WebSocketClientService()
        service.start()
        return service
    }()

    let serviceThread = LWSServiceThread(name: "soc2bot-ws-client")

    // Service thread only.
    private var context: OpaquePointer?
    private var startFailure: String?
    /// Client vhosts by CA file ("" for the system store).
    private var vhosts: [String: OpaquePointer] = [:]
    private var clients: [Int: WebSocketClient] = [:]
    private var nextID = 1

    private init() {}

    private func start() {
        serviceThread.start(protocolName: "soc2bot-ws-client", rxBufferSize: 0, handler: self, configure: { info, _ in
            info.port = CONTEXT_PORT_NO_LISTEN
            info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS)
        }, started: { [self] context in
            self.context = context
            if context == nil {
                startFailure = "libwebsockets could not create the client context"
            } else if vhost(caFile: nil) == nil {
                // Without any vhost lws has no protocol to tell about EVENT_WAIT_CANCELLED.
                startFailure = "libwebsockets could not create the client vhost"
            }
        })
    }

    /// The vhost whose client TLS trusts `caFile` (nil: the system CA store, via
    /// `SSL_CTX_set_default_verify_paths`), created on first use. Service thread only.
    private func vhost(caFile: String?) -> OpaquePointer? {
        let key = caFile ?? ""
        if let existing = vhosts[key] { return existing }
        let name = "client-\(vhosts.count + 1)"
        let created = serviceThread.createVhost { info, arena in
            info.vhost_name = arena.copy(name)
            info.port = CONTEXT_PORT_NO_LISTEN
            info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
            info.timeout_secs = Self.lwsPhaseTimeout
            info.connect_timeout_secs = Self.lwsPhaseTimeout
            info.client_ssl_ca_filepath = arena.copy(caFile)
        }
        if let created { vhosts[key] = created }
        return created
    }

    /// Starts `client`'s connection on the service thread; failures reach the client's `connect()`.
    func open(_ client: WebSocketClient, target: WebSocketClient.Target, caFile: String?, timeout: TimeInterval) {
        let queued = serviceThread.perform { [self] in
            guard let context else {
                client.failConnect(.connectFailed(endpoint: client.endpoint,
                                                  reason: startFailure ?? "the client context is gone"))
                return
            }
            guard client.currentPhase == .connecting else { return } // closed while queued
            guard let vhost = vhost(caFile: caFile) else {
                client.failConnect(.connectFailed(endpoint: client.endpoint,
                                                  reason: "libwebsockets could not set up TLS for this CA file"))
                return
            }
            let id = nextID
            nextID += 1
            clients[id] = client
            let created = withConnectInfo(context, vhost: vhost, target: target, id: id) {
                lws_client_connect_via_info(&$0)
            }
            // lws may already have reported CLIENT_CONNECTION_ERROR from inside the call (the client is then
            // forgotten); a wsi it returns anyway is not ours to keep.
            guard let created, clients[id] != nil else {
                if clients.removeValue(forKey: id) != nil {
                    client.failConnect(.connectFailed(
                        endpoint: client.endpoint,
                        reason: "libwebsockets could not start the connection (does the host name resolve?)"))
                }
                return
            }
            client.attach(created, connectTimeout: timeout)
        }
        if !queued {
            // The service thread has stopped (its context could not be created): the job was dropped.
            client.failConnect(.connectFailed(endpoint: client.endpoint, reason: "the WebSocket client service has stopped"))
        }
    }

    /// Fills a connect info whose strings live for the duration of `body` (lws copies them into the wsi).
    private func withConnectInfo(_ context: OpaquePointer, vhost: OpaquePointer, target: WebSocketClient.Target,
                                 id: Int,
                                 _ body: (inout lws_client_connect_info) -> OpaquePointer?) -> OpaquePointer? {
        let arena = CStringArena()
        var info = lws_client_connect_info()
        info.context = context
        info.vhost = vhost
        info.address = arena.copy(target.host)
        info.port = Int32(target.port)
        info.ssl_connection = target.secure ? Int32(LCCSCF_USE_SSL.rawValue) : 0
        info.path = arena.copy(target.pathAndQuery)
        info.host = arena.copy(target.hostHeader)
        info.ietf_version_or_minus_one = -1
        // WebSocket over HTTP/1.1 only: never let ALPN pick h2 for the upgrade.
        info.alpn = arena.copy("http/1.1")
        info.opaque_user_data = UnsafeMutableRawPointer(bitPattern: id)
        return withExtendedLifetime(arena) { body(&info) }
    }

    /// Forgets a connection that has ended.
    func forget(_ client: WebSocketClient) {
        clients = clients.filter { $0.value !== client }
    }

    func handleCallback(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?,
                        length: Int) -> Int32 {
        let id = Int(bitPattern: lws_get_opaque_user_data(wsi))
        guard id != 0, let client = clients[id] else { return 0 }
        return client.handleCallback(wsi: wsi, reason: reason, input: input, length: length)
    }

    func serviceDidStop() {
        let remaining = clients.values
        clients.removeAll()
        for client in remaining { client.serviceStopped() }
        context = nil
    }
}
