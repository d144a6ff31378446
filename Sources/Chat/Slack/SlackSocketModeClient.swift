import Core
import Foundation
import Logging
import Synchronization

/// One WebSocket to Slack, as Socket Mode uses it: text frames in and out.
package protocol SocketModeConnection: Sendable {
    /// The next text frame, or nil once the connection is closed (by either side, or found dead).
    func receive() async -> String?
    func send(_ text: String) async throws
    func close() async
}

/// Opens a WebSocket to the URL `apps.connections.open` handed out.
package typealias SocketModeConnector = @Sendable (URL) async throws -> any SocketModeConnection

/// Slack Socket Mode (docs.slack.dev/apis/events-api/using-socket-mode): the bot opens the WebSocket, so it needs
/// no public URL.
///
/// - Each connection comes from `apps.connections.open` (app-level `xapp-` token) and starts with `hello`.
/// - Every envelope is handed to `handler` and acknowledged with its envelope id (and the handler's payload:
///   a slash command's answer, a modal's `response_action`) — the handler answers within Slack's 3 s.
/// - Envelopes are de-duplicated by id across connections (Slack may deliver on any open connection).
/// - On `disconnect` (`warning`, `refresh_requested`) the replacement is opened first and the old connection is
///   closed only once the new one said hello, so nothing sent meanwhile is lost. A connection that drops or
///   fails to open is retried with capped, jittered exponential backoff.
package final class SlackSocketModeClient: Sendable {
    /// The payload to acknowledge an envelope with (nil: a bare acknowledgement).
    package typealias Handler = @Sendable (SocketModeEnvelope) async -> JSONValue?

    let api: SlackWebAPI
    let connect: SocketModeConnector
    let handler: Handler
    let logger: Logger
    /// Longest wait between reconnection attempts, in seconds.
    let backoffCap: TimeInterval
    private let seen = Mutex(RecentIDs(capacity: 4_096))
    private let counters = Mutex(Counters())
    /// Envelopes being handled, per connection: a retired connection is closed only once its answers are sent.
    private let inFlight = Mutex([Int: Int]())

    /// What happened so far (tests and the status view).
    package struct Counters: Sendable, Equatable {
        package var connectionsOpened = 0
        package var envelopesHandled = 0
        package var duplicatesDropped = 0
        package var acknowledgements = 0
    }
    package var stats: Counters { counters.withLock { $0 } }

    /// - Parameter api: the Web API with the app-level token (`xapp-…`), for `apps.connections.open`.
    package init(api: SlackWebAPI, connect: @escaping SocketModeConnector, logger: Logger, backoffCap: TimeInterval = 60,
                 handler: @escaping Handler) {
        self.api = api; self.connect = connect; self.logger = logger; self.backoffCap = backoffCap; self.handler = handler
    }

    private enum Event: Sendable {
        case ready(Int)
        case refresh(Int, reason: String)
        case ended(Int)
    }

    /// Keeps a connection open until the task is cancelled.
    package func run() async {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        var connections: [Int: any SocketModeConnection] = [:]
        var active: Int?
        var replacing: Int?
        var nextID = 0
        var failures = 0

        await withTaskGroup(of: Void.self) { group in
            /// Opens a connection (retrying with backoff until it opens or the task is cancelled) and reads it.
            func open(afterFailures: Int) async -> Int? {
                var attempt = afterFailures
                while !Task.isCancelled {
                    if attempt > 0 {
                        let delay = Backoff.delay(attempt: attempt, base: 1, cap: backoffCap) * Double.random(in: 0.5...1.0)
                        try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                        if Task.isCancelled { return nil }
                    }
                    do {
                        let url = try await socketURL()
                        let connection = try await connect(url)
                        nextID += 1
                        let id = nextID
                        connections[id] = connection
                        counters.withLock { $0.connectionsOpened += 1 }
                        group.addTask { await self.read(connection, id: id, events: sink) }
                        return id
                    } catch {
                        attempt += 1
                        logger.warning("Slack Socket Mode: could not connect", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    }
                }
                return nil
            }

            active = await open(afterFailures: 0)
            group.addTask {
                // Ends the event loop when the task is cancelled (shutdown).
                await withTaskCancellationHandler { await Self.waitForever() } onCancel: { sink.finish() }
            }
            for await event in events {
                switch event {
                case .ready(let id):
                    failures = 0
                    if id == replacing, let old = active, old != id {
                        active = id
                        replacing = nil
                        if let connection = connections.removeValue(forKey: old) {
                            group.addTask { await self.retire(connection, id: old) }
                        }
                        logger.info("Slack Socket Mode: replaced the connection", metadata: ["connection": "\(id)"])
                    }
                case .refresh(let id, let reason):
                    guard id == active, replacing == nil else { continue }
                    logger.info("Slack Socket Mode: Slack asked to reconnect; opening the replacement first", metadata: ["reason": "\(reason)"])
                    replacing = await open(afterFailures: 0)
                case .ended(let id):
                    connections.removeValue(forKey: id)
                    if id == replacing { replacing = nil }
                    guard id == active, !Task.isCancelled else { continue }
                    if let replacement = replacing {
                        active = replacement
                        replacing = nil
                        continue
                    }
                    failures += 1
                    logger.warning("Slack Socket Mode: connection lost; reconnecting", metadata: ["failures": "\(failures)"])
                    active = await open(afterFailures: failures)
                }
                if Task.isCancelled { break }
            }
            for connection in connections.values { await connection.close() }
            group.cancelAll()
        }
    }

    /// `apps.connections.open` → the WebSocket URL.
    func socketURL() async throws -> URL {
        let answer = try await api.call("apps.connections.open", form: [])
        guard let text = answer["url"] as? String, let url = URL(string: text) else { throw SlackAPIError.malformed(method: "apps.connections.open") }
        // Slack hands out wss:// only; plain ws:// is accepted for a loopback peer (the in-project fake) and nothing else.
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "")
        guard url.scheme == "wss" || (url.scheme == "ws" && loopback) else { throw SlackAPIError.malformed(method: "apps.connections.open") }
        return url
    }

    private func read(_ connection: any SocketModeConnection, id: Int, events: AsyncStream<Event>.Continuation) async {
        await withTaskGroup(of: Void.self) { handlers in
            while let text = await connection.receive() {
                let frame: SocketModeFrame
                do { frame = try SocketModeFrame.decode(text: text) } catch {
                    logger.warning("Slack Socket Mode: unreadable frame ignored", metadata: ["error": "\(error)"])
                    continue
                }
                switch frame {
                case .hello:
                    events.yield(.ready(id))
                case .disconnect(let reason):
                    if reason == "link_disabled" {
                        logger.error("Slack Socket Mode is turned off for this app (link_disabled): turn it on in the app's settings, or use chat.slack.mode: http")
                    }
                    events.yield(.refresh(id, reason: reason))
                case .envelope(let envelope):
                    let fresh = seen.withLock { $0.insert(envelope.envelopeID) }
                    guard fresh else {
                        counters.withLock { $0.duplicatesDropped += 1 }
                        // Acknowledged again so Slack stops resending, but not handled twice.
                        try? await connection.send(SlackSocketMode.acknowledgement(envelopeID: envelope.envelopeID, payload: nil))
                        continue
                    }
                    inFlight.withLock { $0[id, default: 0] += 1 }
                    handlers.addTask {
                        defer { self.inFlight.withLock { $0[id, default: 1] -= 1 } }
                        let payload = await self.handler(envelope)
                        self.counters.withLock { $0.envelopesHandled += 1 }
                        do {
                            try await connection.send(SlackSocketMode.acknowledgement(envelopeID: envelope.envelopeID, payload: payload))
                            self.counters.withLock { $0.acknowledgements += 1 }
                        } catch {
                            self.logger.warning("Slack Socket Mode: acknowledgement not sent", metadata: ["envelope": "\(envelope.envelopeID)", "error": "\(error)"])
                        }
                    }
                case .unknown(let type):
                    logger.debug("Slack Socket Mode: frame of type \(type) ignored")
                }
            }
        }
        inFlight.withLock { _ = $0.removeValue(forKey: id) }
        events.yield(.ended(id))
    }

    /// Closes a replaced connection once the envelopes it delivered are answered (Slack's 3 s at most): closing
    /// it at once would drop those acknowledgements, and Slack would deliver the envelopes again.
    private func retire(_ connection: any SocketModeConnection, id: Int) async {
        let deadline = ContinuousClock.now + .seconds(3)
        while inFlight.withLock({ $0[id, default: 0] }) > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        await connection.close()
    }

    private static func waitForever() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
    }
}

