import Foundation
import Sockets
import Synchronization

/// Slack's Socket Mode server, over a real WebSocket on loopback: every connection gets `hello`; the test sends
/// envelopes (`slash_commands`, `interactive`, `events_api`) and `disconnect` frames, drops links, and reads back
/// the acknowledgements the bot sent (envelope id → payload). Over TLS (`wss://`) when given a certificate; a
/// number of connections can be left without `hello`.
package final class FakeSlackSocketMode: Sendable {
    package struct Acknowledgement: Sendable {
        package var connection: Int
        package var envelopeID: String
        /// The acknowledgement's `payload` as JSON, if it had one.
        package var payload: Data?
        package var payloadObject: [String: Any]? { payload.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } }
    }

    private struct State {
        var open: [Int] = []
        var everOpened: [Int] = []
        var tickets: [String] = []
        var acknowledgements: [Acknowledgement] = []
        var unreadable: [String] = []
        var envelopeCounter = 0
        /// How many of the next connections get no `hello` (a broken or impostor edge).
        var silentConnections = 0
    }

    let server: HTTPServer
    private let state = Mutex(State())
    private let reader: Mutex<Task<Void, Never>?> = Mutex(nil)

    let secure: Bool

    /// - Parameter tls: serve `wss://` with this certificate and key (nil: `ws://`).
    package init(tls: HTTPServer.TLSIdentity? = nil) throws {
        secure = tls != nil
        server = HTTPServer(configuration: .init(webSocketPaths: ["/link/"], tls: tls), handler: { _ in .text(404, "not found\n") })
        try server.start()
        let events = server.webSocketEvents
        let task = Task { [weak self] in
                for await event in events {
                    guard let self else { return }
                    let server = self.server
                    switch event {
                    case .opened(let id, _, let query):
                        let silent = state.withLock { s in
                            s.open.append(id); s.everOpened.append(id); s.tickets.append(query ?? "")
                            guard s.silentConnections > 0 else { return false }
                            s.silentConnections -= 1
                            return true
                        }
                        if silent { continue }
                        server.send(#"{"type":"hello","num_connections":1,"debug_info":{"host":"applink-fake","approximate_connection_time":18060},"connection_info":{"app_id":"A0SOC2BOT1"}}"#, to: id)
                    case .text(let id, let text):
                        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                              let envelopeID = object["envelope_id"] as? String else {
                            state.withLock { $0.unreadable.append(text) }
                            continue
                        }
                        let payload = object["payload"].flatMap { try? JSONSerialization.data(withJSONObject: $0) }
                        state.withLock { $0.acknowledgements.append(Acknowledgement(connection: id, envelopeID: envelopeID, payload: payload)) }
                    case .closed(let id):
                        state.withLock { $0.open.removeAll { $0 == id } }
                    }
                }
        }
        reader.withLock { $0 = task }
    }

    deinit { stop() }

    package func stop() {
        server.stop()
        _ = reader.withLock { $0?.cancel() }
    }

    /// The URL `apps.connections.open` should hand out.
    package var url: String { "\(secure ? "wss" : "ws")://127.0.0.1:\(server.port)/link/" }
    /// The query (with its ticket) each connection was opened with, in order.
    package var tickets: [String] { state.withLock { $0.tickets } }
    /// Leaves the next `count` connections without `hello`.
    package func withholdHello(count: Int = 1) { state.withLock { $0.silentConnections += count } }
    /// Sends a frame as it is (an oversized or broken envelope) on `connection` (default: the newest open one).
    package func sendRaw(_ text: String, on connection: Int? = nil) {
        if let target = connection ?? openConnections.last { server.send(text, to: target) }
    }
    package var openConnections: [Int] { state.withLock { $0.open } }
    package var connectionsEverOpened: Int { state.withLock { $0.everOpened.count } }
    package var acknowledgements: [Acknowledgement] { state.withLock { $0.acknowledgements } }
    package var unreadable: [String] { state.withLock { $0.unreadable } }
    package func acknowledgement(_ envelopeID: String) -> Acknowledgement? { acknowledgements.first { $0.envelopeID == envelopeID } }

    /// Sends an envelope with `payload` on `connection` (default: the newest open one); returns its envelope id.
    @discardableResult
    package func send(type: String, payload: [String: Any], envelopeID: String? = nil, on connection: Int? = nil) -> String {
        let id = envelopeID ?? state.withLock { s in
            s.envelopeCounter += 1
            return "d9a3f5a1-\(String(format: "%04d", s.envelopeCounter))-4a1e-9c1b-\(String(format: "%012d", s.envelopeCounter))"
        }
        let envelope: [String: Any] = ["envelope_id": id, "type": type, "payload": payload,
                                       "accepts_response_payload": type != "events_api"]
        let text = String(decoding: (try? JSONSerialization.data(withJSONObject: envelope)) ?? Data(), as: UTF8.self)
        if let target = connection ?? openConnections.last { server.send(text, to: target) }
        return id
    }

    /// Slack's warning before it closes a connection (`warning`, `refresh_requested`, `link_disabled`).
    package func disconnect(_ connection: Int, reason: String = "refresh_requested") {
        server.send(#"{"type":"disconnect","reason":"\#(reason)","debug_info":{"host":"applink-fake"}}"#, to: connection)
    }

    /// Ends a connection without a close frame (a crashed edge, a cut cable).
    package func drop(_ connection: Int) { server.drop(connection) }
}
