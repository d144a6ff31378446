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

/// How Slack Socket Mode is doing, for the bot's integration health (`integration_health`, `/healthz`).
package enum SocketModeHealth: Sendable, Equatable {
    /// A connection said `hello`.
    case connected
    /// Slack refused the app-level token (`invalid_auth`, `not_authed`, `token_revoked`, `account_inactive`, …):
    /// no retry can fix it. The text says what to do and holds no token.
    case credentialRejected(String)
}

/// Slack Socket Mode (docs.slack.dev/apis/events-api/using-socket-mode): the bot opens the WebSocket, so it needs
/// no public URL.
///
/// - Each connection comes from `apps.connections.open` (app-level `xapp-` token) and starts with `hello`. A
///   connection that has not said `hello` within `helloTimeout` is closed and replaced with a fresh URL; envelopes
///   that arrive on it before `hello` are neither handled nor acknowledged (Slack redelivers them).
/// - Every envelope is handled by `handler` and acknowledged with its envelope id (and the handler's payload:
///   a slash command's answer, a modal's `response_action`) — the handler answers within Slack's 3 s. An envelope
///   that cannot be decoded (over the 2 MiB limit, broken JSON) is refused, logged with its id, and acknowledged
///   all the same: unacknowledged, Slack would deliver it again for ever.
/// - Envelopes are de-duplicated by id across connections (Slack may deliver on any open connection), and through
///   `seen` (the database) across restarts and processes.
/// - On `disconnect` (`warning`, `refresh_requested`) the replacement is opened first and the old connection is
///   closed only once the new one said hello, so nothing sent meanwhile is lost. A connection that drops or
///   fails to open is retried with capped, jittered exponential backoff (1 s, 2 s, 4 s … up to `backoffCap`,
///   each × U(0.5, 1)); a 429 is retried after its `Retry-After`, counted from the answer. A rejected app-level
///   token is reported through `health` and retried at the cap.
package final class SlackSocketModeClient: Sendable {
    /// The payload to acknowledge an envelope with (nil: a bare acknowledgement).
    package typealias Handler = @Sendable (SocketModeEnvelope) async -> JSONValue?

    let api: SlackWebAPI
    let connect: SocketModeConnector
    let handler: Handler
    let logger: Logger
    /// Longest wait between reconnection attempts, in seconds.
    let backoffCap: TimeInterval
    /// How long a new connection may go without `hello`.
    let helloTimeout: Duration
    /// Returns when a new connection's time for `hello` is up (by default after `helloTimeout`); injected so tests
    /// decide when that is instead of waiting.
    let helloDeadline: @Sendable () async throws -> Void
    /// The envelope ids seen before, kept beyond this process (nil: this process's memory only).
    let persistentSeen: (any SeenRequests)?
    let health: @Sendable (SocketModeHealth) -> Void
    /// Times the envelope memory and waits: between connection attempts, for `hello`, for a retired connection's
    /// answers. Tests pass a `TestClock` and see the waits without waiting.
    let clock: any BotClock
    private let seen = Mutex(RecentIDs(capacity: 4_096))
    private let counters = Mutex(Counters())
    /// Envelopes being handled, per connection: a retired connection is closed only once its answers are sent.
    private let inFlight = Mutex([Int: Int]())
    /// `retire`s waiting for a connection's envelopes to be answered (locked inside `inFlight`'s lock).
    private let drainWaiters = Mutex([Int: [AsyncStream<Void>.Continuation]]())

    /// What happened so far (tests and the status view).
    package struct Counters: Sendable, Equatable {
        package var connectionsOpened = 0
        package var envelopesHandled = 0
        package var duplicatesDropped = 0
        package var acknowledgements = 0
        /// Envelopes not handled: undecodable ones (acknowledged) and ones sent before `hello` (not acknowledged).
        package var envelopesRefused = 0
        /// Connections closed because they never said `hello`.
        package var helloTimeouts = 0
    }
    package var stats: Counters { counters.withLock { $0 } }

    /// How long envelope ids are remembered in `seen`: Slack redelivers an unacknowledged envelope within minutes.
    static let envelopeMemory: TimeInterval = 3_600

    /// - Parameter api: the Web API with the app-level token (`xapp-…`), for `apps.connections.open`.
    package init(api: SlackWebAPI, connect: @escaping SocketModeConnector, logger: Logger, backoffCap: TimeInterval = 60,
                 helloTimeout: Duration = .seconds(10), helloDeadline: (@Sendable () async throws -> Void)? = nil, seen: (any SeenRequests)? = nil,
                 health: @escaping @Sendable (SocketModeHealth) -> Void = { _ in },
                 clock: any BotClock,
                 handler: @escaping Handler) {
        self.api = api; self.connect = connect; self.logger = logger; self.backoffCap = backoffCap; self.handler = handler
        self.helloTimeout = helloTimeout; self.persistentSeen = seen
        self.helloDeadline = helloDeadline ?? { try await clock.sleep(for: helloTimeout) }; self.health = health; self.clock = clock
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
                /// When the next attempt may start, if Slack said (Retry-After, counted from its answer).
                var notBefore: Date?
                var rejected = false
                while !Task.isCancelled {
                    if let notBefore {
                        try? await clock.sleep(until: notBefore)
                        if Task.isCancelled { return nil }
                    } else if attempt > 0 {
                        let cap = rejected ? backoffCap : Backoff.delay(attempt: attempt, base: 1, cap: backoffCap)
                        let delay = cap * Double.random(in: 0.5...1.0)
                        try? await clock.sleep(for: delay)
                        if Task.isCancelled { return nil }
                    }
                    notBefore = nil
                    do {
                        let url = try await socketURL()
                        let connection = try await connect(url)
                        nextID += 1
                        let id = nextID
                        connections[id] = connection
                        counters.withLock { $0.connectionsOpened += 1 }
                        group.addTask { await self.read(connection, id: id, events: sink) }
                        return id
                    } catch DeliveryError.retryAfter(let seconds) {
                        notBefore = clock.now().addingTimeInterval(Backoff.serverWait(seconds))
                        attempt += 1
                        logger.warning("Slack Socket Mode: apps.connections.open is rate limited; retrying when Slack said",
                                       metadata: ["retry_after": "\(seconds)"])
                    } catch {
                        attempt += 1
                        if let code = SlackWebAPI.credentialError(error) {
                            let problem = "Slack refused the app-level token (\(code)) at apps.connections.open: Socket Mode cannot connect, "
                                + "so nobody can act on alerts from Slack. Make a new app-level token with connections:write and set it in the variable chat.slack.app_token names"
                            if !rejected { logger.error("Slack Socket Mode: \(problem)") }
                            rejected = true
                            health(.credentialRejected(problem))
                        } else {
                            logger.warning("Slack Socket Mode: could not connect", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                        }
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
                    health(.connected)
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
        let greeted = HelloSeen()
        await withTaskGroup(of: Void.self) { watchdog in
            watchdog.addTask {
                // A connection that never says hello is not Slack's (or is broken): pongs would keep it open for ever.
                guard (try? await self.helloDeadline()) != nil, !Task.isCancelled, !greeted.value else { return }
                self.counters.withLock { $0.helloTimeouts += 1 }
                self.logger.warning("Slack Socket Mode: no hello within \(self.helloTimeout); reconnecting with a new URL", metadata: ["connection": "\(id)"])
                await connection.close()
            }
            await readFrames(connection, id: id, events: events, greeted: greeted)
            watchdog.cancelAll()
        }
        settle(id, all: true)
        events.yield(.ended(id))
    }

    private func readFrames(_ connection: any SocketModeConnection, id: Int, events: AsyncStream<Event>.Continuation, greeted: HelloSeen) async {
        await withTaskGroup(of: Void.self) { handlers in
            while let text = await connection.receive() {
                let frame: SocketModeFrame
                do { frame = try SocketModeFrame.decode(text: text) } catch {
                    guard let envelopeID = SocketModeFrame.envelopeID(inUnreadable: text) else {
                        logger.warning("Slack Socket Mode: unreadable frame ignored", metadata: ["error": "\(error)"])
                        continue
                    }
                    // Refused, and acknowledged all the same: unacknowledged, Slack would redeliver it for ever.
                    counters.withLock { $0.envelopesRefused += 1 }
                    logger.error("Slack Socket Mode: envelope refused (\(error)); acknowledged so Slack does not resend it",
                                 metadata: ["envelope": "\(envelopeID)", "bytes": "\(text.utf8.count)"])
                    try? await connection.send(SlackSocketMode.acknowledgement(envelopeID: envelopeID, payload: nil))
                    continue
                }
                switch frame {
                case .hello:
                    greeted.mark()
                    events.yield(.ready(id))
                case .disconnect(let reason):
                    if reason == "link_disabled" {
                        logger.error("Slack Socket Mode is turned off for this app (link_disabled): turn it on in the app's settings, or use chat.slack.mode: http")
                    }
                    events.yield(.refresh(id, reason: reason))
                case .envelope(let envelope):
                    guard greeted.value else {
                        // Not a Socket Mode connection yet: neither handled nor acknowledged, so Slack delivers it again.
                        counters.withLock { $0.envelopesRefused += 1 }
                        logger.warning("Slack Socket Mode: envelope before hello ignored", metadata: ["envelope": "\(envelope.envelopeID)"])
                        continue
                    }
                    guard firstSighting(envelope.envelopeID) else {
                        counters.withLock { $0.duplicatesDropped += 1 }
                        // Acknowledged again so Slack stops resending, but not handled twice.
                        try? await connection.send(SlackSocketMode.acknowledgement(envelopeID: envelope.envelopeID, payload: nil))
                        continue
                    }
                    inFlight.withLock { $0[id, default: 0] += 1 }
                    handlers.addTask {
                        defer { self.settle(id) }
                        let payload = await self.handler(envelope)
                        self.counters.withLock { $0.envelopesHandled += 1 }
                        // Remembered once handled, not before: a crash in between leaves it unacknowledged and
                        // unremembered, so Slack's redelivery is handled then instead of being lost.
                        self.remember(envelope.envelopeID)
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
    }

    /// True the first time `envelopeID` is seen, here or (through `persistentSeen`) handled by any process on the
    /// database within `envelopeMemory`. A memory that cannot be read lets the envelope through: handled twice is
    /// better than lost (actions are compare-and-set on the alert's version).
    private func firstSighting(_ envelopeID: String) -> Bool {
        guard seen.withLock({ $0.insert(envelopeID) }) else { return false }
        guard let persistentSeen else { return true }
        do { return try !persistentSeen.alreadySeen("slack.envelope:" + envelopeID, now: clock.now()) } catch {
            logger.warning("Slack Socket Mode: the envelope memory could not be read", metadata: ["envelope": "\(envelopeID)", "error": "\(error)"])
            return true
        }
    }

    /// Records a handled envelope in the database's memory for `envelopeMemory`, for every process on it.
    private func remember(_ envelopeID: String) {
        guard let persistentSeen else { return }
        let at = clock.now()
        do { _ = try persistentSeen.firstSighting("slack.envelope:" + envelopeID, now: at, expires: at.addingTimeInterval(Self.envelopeMemory)) } catch {
            logger.warning("Slack Socket Mode: the envelope memory could not be written", metadata: ["envelope": "\(envelopeID)", "error": "\(error)"])
        }
    }

    /// Closes a replaced connection once the envelopes it delivered are answered (Slack's 3 s at most): closing
    /// it at once would drop those acknowledgements, and Slack would deliver the envelopes again.
    private func retire(_ connection: any SocketModeConnection, id: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.drained(id) }
            group.addTask { try? await self.clock.sleep(for: 3) }
            await group.next()
            group.cancelAll()
        }
        await connection.close()
    }

    /// Counts one envelope of connection `id` answered (`all`: the connection's reading ended) and wakes the
    /// `retire` waiting for none to be left.
    private func settle(_ id: Int, all: Bool = false) {
        let waiters = inFlight.withLock { counts -> [AsyncStream<Void>.Continuation] in
            if all { counts.removeValue(forKey: id) } else { counts[id, default: 1] -= 1 }
            guard counts[id, default: 0] <= 0 else { return [] }
            return drainWaiters.withLock { $0.removeValue(forKey: id) ?? [] }
        }
        for waiter in waiters { waiter.finish() }
    }

    /// Returns once connection `id` has no envelope being handled, or when the task is cancelled.
    private func drained(_ id: Int) async {
        let (answered, waiter) = AsyncStream.makeStream(of: Void.self)
        let idle = inFlight.withLock { counts in
            guard counts[id, default: 0] > 0 else { return true }
            drainWaiters.withLock { $0[id, default: []].append(waiter) }
            return false
        }
        if idle { return }
        for await _ in answered {}
    }

    /// Returns when the task is cancelled.
    private static func waitForever() async {
        let (cancelled, end) = AsyncStream.makeStream(of: Void.self)
        await withTaskCancellationHandler { for await _ in cancelled {} } onCancel: { end.finish() }
    }
}

/// Whether a connection has said `hello`: set by its reader, read by its hello watchdog.
private final class HelloSeen: Sendable {
    private let seen = Mutex(false)
    var value: Bool { seen.withLock { $0 } }
    func mark() { seen.withLock { $0 = true } }
}
