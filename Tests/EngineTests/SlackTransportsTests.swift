import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Reports
import Sockets
import Store
import Synchronization
import Testing
import TestSupport

/// Both ways Slack reaches the bot, over real sockets on loopback: Socket Mode (the bot's WebSocket client to a
/// fake Slack WebSocket server) and HTTP mode (signed requests to the bot's inbound server).
@Suite("Slack transports", .serialized)
struct SlackTransportsTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a Socket Mode bot on a test bed, connected to a fake Slack Socket Mode server.
    static func withSocketMode(_ body: (SlackTestBed, FakeSlackSocketMode, SlackSocketModeClient) async throws -> Void) async throws {
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        bed.fake.setSocketModeURL(socket.url)
        let appAPI = SlackWebAPI(token: "xapp-test-token", transport: bed.fake)
        let interactions = bed.interactions
        let client = SlackSocketModeClient(api: appAPI, connect: WebSocketConnection.open, logger: logger, backoffCap: 0.2,
                                           clock: TestClock(sleeping: .jumps(upTo: 1)), handler: { await interactions.envelope($0) })
        let running = Task { await client.run() }
        defer { running.cancel() }
        #expect(await eventually { socket.openConnections.count == 1 })
        try await body(bed, socket, client)
    }

    // MARK: Socket Mode

    @Test func aFailureToAClosedAlertThroughSocketMode() async throws { try await Self.withSocketMode { bed, socket, _ in
        let posted = try #require(try await bed.fail().first)
        // A slash command: answered in the acknowledgement's payload.
        let command = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("status", user: "U0DANA", trigger: bed.fake.issueTrigger()))
        #expect(await eventually { socket.acknowledgement(command) != nil })
        #expect(socket.acknowledgement(command)?.payloadObject?["response_type"] as? String == "ephemeral")

        // Close… → the modal → the submission → closed, the message edited, a thread line, evidence.
        let close = try #require(SlackTestBed.actionID(.close, in: posted))
        let click = socket.send(type: "interactive", payload: FakeSlackPayloads.blockActions(message: posted, actionID: close.actionID,
                                                                                             user: "U0DANA", trigger: bed.fake.issueTrigger()))
        #expect(await eventually { socket.acknowledgement(click) != nil })
        await bed.settled()   // the click's work (opening the form) is done
        #expect(bed.fake.views.count == 1)
        let submission = socket.send(type: "interactive", payload: FakeSlackPayloads.viewSubmission(
            bed.fake.views[0], values: ["remediation": "Enabled SSE-KMS on customer-exports", "link": "https://git.example/infra/pull/88"], user: "U0DANA"))
        #expect(await eventually { socket.acknowledgement(submission) != nil })
        #expect(socket.acknowledgement(submission)?.payload == nil, "a valid form closes: bare acknowledgement")
        #expect(try bed.alert()?.state == .closed)
        try await bed.dispatcher.drain()
        #expect(bed.fake.updates.map(\.ts) == [posted.ts])
        #expect(bed.fake.messages.contains { $0.threadTS == posted.ts && $0.text.contains("close") })
        #expect(try bed.evidence(kind: "human_action").contains { ($0["data"] as? [String: Any])?["action"] as? String == "close" })
        #expect(socket.unreadable.isEmpty)
    } }

    @Test func aReconnectMidStreamLosesAndDuplicatesNothing() async throws { try await Self.withSocketMode { bed, socket, client in
        let first = socket.openConnections[0]

        func command(_ n: Int) -> [String: Any] {
            FakeSlackPayloads.slashCommandObject("list \(n)", user: "U0DANA", trigger: bed.fake.issueTrigger())
        }
        var sent: [String] = []
        for n in 0..<5 { sent.append(socket.send(type: "slash_commands", payload: command(n), on: first)) }
        // Slack asks for a refresh: the bot opens the replacement first, then closes the old connection.
        socket.disconnect(first)
        #expect(await eventually { socket.connectionsEverOpened == 2 })
        #expect(await eventually { socket.openConnections.count == 1 && socket.openConnections[0] != first })
        let second = socket.openConnections[0]
        for n in 5..<10 { sent.append(socket.send(type: "slash_commands", payload: command(n), on: second)) }
        // Slack re-delivers one envelope on the new connection: acknowledged again, handled once.
        socket.send(type: "slash_commands", payload: command(3), envelopeID: sent[3], on: second)
        let all = Set(sent)
        #expect(await eventually { Set(socket.acknowledgements.map(\.envelopeID)) == all && client.stats.duplicatesDropped == 1 })
        #expect(client.stats.envelopesHandled == 10)

        // The link dies without a word: the bot reconnects (backoff) and keeps answering.
        socket.drop(second)
        #expect(await eventually { socket.connectionsEverOpened == 3 && socket.openConnections.count == 1 })
        let after = socket.send(type: "slash_commands", payload: command(11))
        #expect(await eventually { socket.acknowledgement(after) != nil })
        #expect(client.stats.envelopesHandled == 11)
    } }

    /// A Socket Mode client for `bed`, connecting to `socket`, not yet running.
    static func socketClient(_ bed: SlackTestBed, appToken: String = "xapp-test-token", helloDeadline: (@Sendable () async throws -> Void)? = nil,
                             seen: (any SeenRequests)? = nil, logger: Logger = logger,
                             health: @escaping @Sendable (SocketModeHealth) -> Void = { _ in },
                             clock: TestClock = TestClock(start: SlackTestBed.t0, sleeping: .jumps(upTo: 1)),
                             connect: @escaping SocketModeConnector = WebSocketConnection.open,
                             handler: SlackSocketModeClient.Handler? = nil) -> SlackSocketModeClient {
        let interactions = bed.interactions
        return SlackSocketModeClient(api: SlackWebAPI(token: appToken, transport: bed.fake), connect: connect, logger: logger,
                                     backoffCap: 0.2, helloDeadline: helloDeadline, seen: seen, health: health, clock: clock,
                                     handler: handler ?? { await interactions.envelope($0) })
    }

    /// An envelope is remembered in the database only once handled: a process killed while handling it leaves it
    /// unacknowledged and unremembered, so Slack's redelivery is handled instead of being dropped as a duplicate.
    @Test func anEnvelopeIsRememberedOnlyOnceHandled() async throws {
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        bed.fake.setSocketModeURL(socket.url)
        let seen = StoreSeenRequests(database: bed.engine.database)
        let (started, startedNow) = AsyncStream.makeStream(of: Void.self)
        let (gate, openGate) = AsyncStream.makeStream(of: Void.self)
        let client = Self.socketClient(bed, seen: seen, handler: { _ in
            startedNow.yield()
            for await _ in gate { break }
            return nil
        })
        let running = Task { await client.run() }
        defer { running.cancel() }
        #expect(await eventually { socket.openConnections.count == 1 })

        let envelope = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: bed.fake.issueTrigger()))
        for await _ in started { break }
        // While it is being handled, nothing is remembered: a crash now would leave it for Slack to redeliver.
        #expect(try !seen.alreadySeen("slack.envelope:" + envelope, now: SlackTestBed.t0))

        openGate.yield()
        #expect(await eventually { socket.acknowledgement(envelope) != nil })
        #expect(try seen.alreadySeen("slack.envelope:" + envelope, now: SlackTestBed.t0))
    }

    @Test func aConnectionThatNeverSaysHelloIsReplacedWithAFreshURLAndItsEnvelopesAreNotAcknowledged() async throws {
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        bed.fake.setSocketModeURL(socket.url)
        socket.withholdHello()
        // The first connection's time for hello is up when the test says; later connections have all the time they need.
        let (timeUp, sayTimeUp) = AsyncStream.makeStream(of: Void.self)
        let deadlines = Mutex(0)
        let client = Self.socketClient(bed, helloDeadline: {
            if deadlines.withLock({ $0 += 1; return $0 }) == 1 { for await _ in timeUp { return } }
            try await TestClock().sleep(for: 3_600)   // never: nobody advances this clock
        })
        let running = Task { await client.run() }
        defer { running.cancel() }

        // The first connection opens but never says hello; an envelope arrives on it all the same: neither handled nor acknowledged.
        #expect(await eventually { socket.connectionsEverOpened == 1 && socket.openConnections.count == 1 })
        let silent = socket.openConnections[0]
        let early = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: bed.fake.issueTrigger()),
                                on: silent)
        #expect(await eventually { client.stats.envelopesRefused == 1 })
        sayTimeUp.yield()
        // It is closed and replaced through apps.connections.open again (a new ticket), and the new one works.
        #expect(await eventually { socket.connectionsEverOpened == 2 && socket.openConnections.count == 1 && socket.openConnections[0] != silent })
        #expect(Set(socket.tickets).count == 2, "each connection has its own ticket")
        #expect(bed.fake.calls.filter { $0 == "apps.connections.open" }.count == 2)
        let later = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: bed.fake.issueTrigger()))
        #expect(await eventually { socket.acknowledgement(later) != nil })
        #expect(socket.acknowledgement(early) == nil, "an envelope on a connection that never said hello is left for Slack to redeliver")
        #expect(client.stats.helloTimeouts == 1)
    }

    @Test func aRateLimitedConnectionsOpenWaitsTheRetryAfterSlackGave() async throws {
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        bed.fake.setSocketModeURL(socket.url)
        bed.fake.failNext([.tooManyRequests(retryAfter: 3)])
        let clock = TestClock(start: SlackTestBed.t0, sleeping: .jumps(upTo: 1))
        let client = Self.socketClient(bed, clock: clock)
        let running = Task { await client.run() }
        defer { running.cancel() }
        await clock.sleepers(1)
        #expect(clock.waits == [3], "the wait is Slack's Retry-After, from its answer; not a jittered backoff")
        clock.advance(by: 3)
        #expect(await eventually { socket.openConnections.count == 1 })
        #expect(bed.fake.calls.filter { $0 == "apps.connections.open" }.count == 2)
        #expect(clock.waits.first == 3 && !clock.waits.dropFirst().contains { $0 < 10 }, "then only the hello deadline: \(clock.waits)")
    }

    @Test func anEnvelopeOverTheSizeLimitIsAcknowledgedAndItsRefusalLoggedWithItsID() async throws {
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        bed.fake.setSocketModeURL(socket.url)
        let log = LogRecorder()
        let client = Self.socketClient(bed, logger: log.logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        #expect(await eventually { socket.openConnections.count == 1 })

        // 3 MiB of payload before the envelope id (and a decoy id inside the payload): over the 2 MiB frame limit.
        let padding = String(repeating: "x", count: 3 << 20)
        let huge = #"{"type":"interactive","accepts_response_payload":false,"payload":{"envelope_id":"decoy","blob":"\#(padding)"},"envelope_id":"5f1c0a2e-big-envelope"}"#
        socket.sendRaw(huge)
        #expect(await eventually { socket.acknowledgement("5f1c0a2e-big-envelope") != nil }, "acknowledged, or Slack would redeliver it for ever")
        #expect(socket.acknowledgement("decoy") == nil)
        #expect(client.stats.envelopesRefused == 1 && client.stats.envelopesHandled == 0)
        #expect(log.logged.contains { $0.level >= .warning && $0.line.contains("refused") && $0.metadata["envelope"] == "5f1c0a2e-big-envelope" })
        // The connection still works.
        let next = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: bed.fake.issueTrigger()))
        #expect(await eventually { socket.acknowledgement(next) != nil })
    }

    @Test func aRejectedAppTokenIsAnIntegrationHealthErrorAndFailsHealthz() async throws {
        var config = SlackTestBed.config(mode: .socket)
        config.controls.append(Control(id: "integrations", title: "Integrations can be read", criteria: [Criterion("CC7.2")!], owner: "infra",
                                       severity: .high, cadence: 3_600, check: CheckSpec(type: "integration_health"),
                                       remediation: "Fix the integration's credentials; the alert names the error."))
        let bed = try SlackTestBed(config: config)
        let bot = Bot.make(config: config, database: bed.engine.database, sources: [], surfaces: [], clock: bed.clock, logger: Self.logger,
                           start: bed.clock.now())
        // Slack answers apps.connections.open with ok:false invalid_auth: the app-level token is not the app's.
        let environment = ["SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-revoked"]
        let services = try bot.inboundServices(connections: try await Bot.connections(for: config, clock: bed.clock, environment: environment, transport: bed.fake),
                                               environment: environment, wireClock: TestClock(sleeping: .jumps(upTo: 1)), logger: Self.logger)
        let running = Task { try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await group.waitForAll()
        } }
        defer { running.cancel() }
        #expect(await eventually { bot.sourceHealth.snapshot.contains { $0.source == Bot.slackIntegration && !$0.healthy } })
        let health = try #require(bot.sourceHealth.snapshot.first { $0.source == Bot.slackIntegration })
        #expect(health.lastError?.contains("invalid_auth") == true && health.lastError?.contains("xapp-revoked") == false)

        // /healthz says so.
        let routes = InboundRoutes(metrics: MetricsEndpoint(engine: bot.engine, clock: bed.clock, sourceHealth: bot.sourceHealth))
        let healthz = await routes.handle(HTTPServerRequest(method: "GET", path: "/healthz"))
        #expect(healthz.status == 503)
        #expect(String(decoding: healthz.body, as: UTF8.self).contains("invalid_auth"))

        // `status` (the CLI is another process: it reads the database) says so.
        let status = try bot.engine.database.read { try StatusReport.build(config: config, store: $0, now: bed.clock.now()) }
        #expect(status.message.body?.contains("Chat: Slack refused the app-level token (invalid_auth)") == true)

        // The integration-health control alerts on it.
        try await bot.loop.step()
        let alert = try #require(try bot.engine.database.read { try $0.liveAlerts() }.first { $0.control == "integrations" })
        #expect(alert.resourceKey == "source:chat.slack" && alert.observed.contains("invalid_auth"))
    }

    @Test func anEnvelopeSeenByAnotherProcessOnTheSameDatabaseIsAcknowledgedButNotHandledAgain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slack-seen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bot.sqlite").path
        let first = try SlackTestBed(config: SlackTestBed.config(mode: .socket), database: try BotDatabase.open(path: path))
        let second = try SlackTestBed(config: SlackTestBed.config(mode: .socket), database: try BotDatabase.open(path: path))
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        first.fake.setSocketModeURL(socket.url)
        second.fake.setSocketModeURL(socket.url)
        let one = Self.socketClient(first, seen: StoreSeenRequests(database: first.engine.database))
        let two = Self.socketClient(second, seen: StoreSeenRequests(database: second.engine.database))
        let running = Task { await one.run() }
        #expect(await eventually { socket.openConnections.count == 1 })
        let envelope = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: first.fake.issueTrigger()))
        #expect(await eventually { one.stats.acknowledgements == 1 })
        running.cancel()
        // The first process is gone; Slack redelivers the envelope to the second one.
        #expect(await eventually { socket.openConnections.isEmpty })
        let runningTwo = Task { await two.run() }
        defer { runningTwo.cancel() }
        #expect(await eventually { socket.openConnections.count == 1 })
        socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("list", user: "U0DANA", trigger: second.fake.issueTrigger()),
                    envelopeID: envelope)
        #expect(await eventually { socket.acknowledgements.filter { $0.envelopeID == envelope }.count == 2 })
        #expect(two.stats.duplicatesDropped == 1 && two.stats.envelopesHandled == 0)
    }

    /// A TLS-inspecting proxy presents certificates from the company's private CA: trusted with SOC2BOT_CA_FILE,
    /// refused without it.
    @Test func socketModeTrustsAPrivateCAFromTheSettingAndNothingElse() async throws {
        let ca = try await TestCertificateAuthority.make()
        defer { ca.remove() }
        let bed = try SlackTestBed(config: SlackTestBed.config(mode: .socket))
        let socket = try FakeSlackSocketMode(tls: HTTPServer.TLSIdentity(certificateFile: ca.serverCertificateFile, privateKeyFile: ca.serverKeyFile))
        defer { socket.stop() }
        let url = try #require(URL(string: socket.url + "?ticket=t"))
        #expect(url.scheme == "wss")

        // Without the setting: the system store does not know the private CA.
        await #expect(throws: SocketError.self) { try await WebSocketConnection.opener(caFile: nil)(url) }
        #expect(throws: SocketError.self) { try TrustedCAFile.path(in: [TrustedCAFile.variable: ca.serverKeyFile]) }

        // With it, through the bot's own wiring: the Socket Mode client connects, gets hello and answers envelopes.
        bed.fake.setSocketModeURL(socket.url)
        let bot = Bot.make(config: bed.config, database: bed.engine.database, sources: [], surfaces: [], clock: bed.clock, logger: Self.logger,
                           start: bed.clock.now())
        let environment = ["SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token", TrustedCAFile.variable: ca.caFile]
        let services = try bot.inboundServices(connections: try await Bot.connections(for: bed.config, clock: bed.clock, environment: environment,
                                                                                      transport: bed.fake),
                                               environment: environment, wireClock: TestClock(sleeping: .jumps(upTo: 1)), logger: Self.logger)
        let running = Task { try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await group.waitForAll()
        } }
        defer { running.cancel() }
        #expect(await eventually { socket.openConnections.count == 1 })
        let envelope = socket.send(type: "events_api", payload: ["type": "event_callback", "event": ["type": "app_mention"]])
        #expect(await eventually { socket.acknowledgement(envelope) != nil })
        #expect(await eventually { bot.sourceHealth.snapshot.contains { $0.source == Bot.slackIntegration && $0.healthy } })
    }

    /// The outbound HTTP transport (Web API calls, sources) trusts the same private CA, and nothing else.
    @Test func httpsTrustsAPrivateCAFromTheSettingAndNothingElse() async throws {
        let ca = try await TestCertificateAuthority.make()
        defer { ca.remove() }
        let server = HTTPServer(configuration: .init(capturedHeaders: ["x-test"],
                                                     tls: HTTPServer.TLSIdentity(certificateFile: ca.serverCertificateFile, privateKeyFile: ca.serverKeyFile)),
                                handler: { request in
            HTTPServerResponse(status: 201, headers: [("X-Echo", "\(request.method) \(request.path) \(request.header("x-test") ?? "-")")], body: request.body)
        })
        try server.start()
        defer { server.stop() }
        let url = try #require(URL(string: "https://127.0.0.1:\(server.port)/api/chat.postMessage?x=1"))
        let request = HTTPRequest(method: "POST", url: url, headers: [("X-Test", "yes"), ("Content-Type", "application/json")], body: Data(#"{"ok":true}"#.utf8))

        // Without the setting: no answer (URLSession on Linux reports an unknown error for a certificate it does not trust).
        await #expect(throws: HTTPError.self) {
            try await URLSessionTransport(caFile: nil).send(request)
        }
        // With it: the exchange as URLSession makes it — method, path, headers, body both ways, the status.
        let answer = try await URLSessionTransport(caFile: ca.caFile).send(request)
        #expect(answer.status == 201)
        #expect(answer.header("x-echo") == "POST /api/chat.postMessage yes")
        #expect(answer.body == Data(#"{"ok":true}"#.utf8))
        let get = try await URLSessionTransport(caFile: ca.caFile).send(HTTPRequest(method: "GET", url: url))
        #expect(get.status == 201 && get.body.isEmpty)
        // Another CA's file is not a way round verification.
        let other = try await TestCertificateAuthority.make()
        defer { other.remove() }
        await #expect(throws: HTTPError.self) { try await URLSessionTransport(caFile: other.caFile).send(request) }
    }

    // MARK: HTTP mode

    /// The bot's inbound server with Slack HTTP mode, on an ephemeral port.
    static func server(_ bed: SlackTestBed) throws -> HTTPServer {
        let routes = InboundRoutes(chat: [SlackHTTPEndpoint(interactions: bed.interactions, signingSecret: SlackTestBed.signingSecret, logger: logger).route])
        let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
        try server.start()
        return server
    }

    static func post(_ server: HTTPServer, _ path: String, body: Data, headers: [(String, String)]) async throws -> HTTPResponse {
        try await URLSessionTransport().send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!,
                                                         headers: headers + [("Content-Type", "application/x-www-form-urlencoded")], body: body))
    }

    @Test func signedRequestsAreAnsweredAndForgedStaleReplayedOrGarbledOnesRefused() async throws {
        let bed = try SlackTestBed()
        let server = try Self.server(bed)
        defer { server.stop() }
        let posted = try #require(try await bed.fail().first)
        let now = Int(bed.clock.now().timeIntervalSince1970)

        let body = FakeSlackPayloads.slashCommand("ack A-1", user: "U0DANA", trigger: bed.fake.issueTrigger())
        let signed = FakeSlackPayloads.signatureHeaders(body: body, secret: SlackTestBed.signingSecret, timestamp: now)

        // Forged (wrong secret) and stale (6 minutes old) requests change nothing.
        let forged = try await Self.post(server, "/slack/commands", body: body,
                                         headers: FakeSlackPayloads.signatureHeaders(body: body, secret: "not-the-secret", timestamp: now))
        #expect(forged.status == 401)
        let stale = try await Self.post(server, "/slack/commands", body: body,
                                        headers: FakeSlackPayloads.signatureHeaders(body: body, secret: SlackTestBed.signingSecret, timestamp: now - 360))
        #expect(stale.status == 401)
        let unsigned = try await Self.post(server, "/slack/commands", body: body, headers: [])
        #expect(unsigned.status == 401)
        #expect(try bed.alert()?.state == .open)

        let answer = try await Self.post(server, "/slack/commands", body: body, headers: signed)
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("acknowledged"))
        #expect(try bed.alert()?.state == .acknowledged)
        // The very same request again, inside the window: a replay.
        let replay = try await Self.post(server, "/slack/commands", body: body, headers: signed)
        #expect(replay.status == 401)

        // A signed but malformed interaction payload: 400, nothing changes.
        let garbage = FakeSlackForm.encode([("payload", "{\"type\":\"block_actions\",\"user\":")])
        let garbled = try await Self.post(server, "/slack/interactions", body: garbage,
                                          headers: FakeSlackPayloads.signatureHeaders(body: garbage, secret: SlackTestBed.signingSecret, timestamp: now))
        #expect(garbled.status == 400)

        // A signed click on an unknown action id: acknowledged, answered with help, nothing changes.
        let version = try bed.alert()?.version
        var click = FakeSlackPayloads.blockActions(message: posted, actionID: "soc2.delete.1.1", user: "U0DANA", trigger: bed.fake.issueTrigger())
        click["response_url"] = "https://\(FakeSlackWebAPI.responseHost)/actions/x"
        let clickBody = FakeSlackPayloads.interactionBody(click)
        let clicked = try await Self.post(server, "/slack/interactions", body: clickBody,
                                          headers: FakeSlackPayloads.signatureHeaders(body: clickBody, secret: SlackTestBed.signingSecret, timestamp: now))
        #expect(clicked.status == 200)
        await bed.settled()   // the answer to its response_url was started before the request returned
        #expect(bed.fake.responses.contains { $0.text.contains("not one soc2bot knows") })
        #expect(try bed.alert()?.version == version)
    }

    @Test func aReplayWithTheSignatureInUpperCaseHexIsRefused() async throws {
        let bed = try SlackTestBed()
        let server = try Self.server(bed)
        defer { server.stop() }
        let posted = try #require(try await bed.fail().first)
        let now = Int(bed.clock.now().timeIntervalSince1970)
        let escalate = try #require(SlackTestBed.actionID(.escalate, in: posted))
        let body = FakeSlackPayloads.interactionBody(FakeSlackPayloads.blockActions(message: posted, actionID: escalate.actionID, selectedValue: escalate.selected,
                                                                                    user: "U0DANA", trigger: bed.fake.issueTrigger()))
        let signed = FakeSlackPayloads.signatureHeaders(body: body, secret: SlackTestBed.signingSecret, timestamp: now)
        let original = try bed.alert()?.version
        let first = try await Self.post(server, "/slack/interactions", body: body, headers: signed)
        #expect(first.status == 200)
        await bed.settled()
        #expect(try bed.alert()?.version != original)
        let version = try bed.alert()?.version

        // The same request, its signature's hex upper-cased (the HMAC compare accepts either case): a replay.
        let upper = signed.map { $0.0.lowercased() == "x-slack-signature" ? ($0.0, "v0=" + $0.1.dropFirst(3).uppercased()) : $0 }
        let replay = try await Self.post(server, "/slack/interactions", body: body, headers: upper)
        #expect(replay.status == 401)
        #expect(String(decoding: replay.body, as: UTF8.self).contains("replay"))
        #expect(try bed.alert()?.version == version, "escalated once")
    }

    @Test func aReplayAfterARestartOrToAnotherProcessOnTheSameDatabaseIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slack-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bot.sqlite").path
        let before = try SlackTestBed(database: try BotDatabase.open(path: path))
        let server = try Self.server(before)
        let now = Int(before.clock.now().timeIntervalSince1970)
        try await before.fail()
        let body = FakeSlackPayloads.slashCommand("escalate A-1", user: "U0DANA", trigger: before.fake.issueTrigger())
        let signed = FakeSlackPayloads.signatureHeaders(body: body, secret: SlackTestBed.signingSecret, timestamp: now)
        #expect(try await Self.post(server, "/slack/commands", body: body, headers: signed).status == 200)
        server.stop()
        let version = try before.alert()?.version

        // A new process on the same database (a restart, or a second replica), 100 s later: still inside the window.
        let after = try SlackTestBed(database: try BotDatabase.open(path: path))
        after.clock.advance(by: 100)
        let restarted = try Self.server(after)
        defer { restarted.stop() }
        let replay = try await Self.post(restarted, "/slack/commands", body: body, headers: signed)
        #expect(replay.status == 401)
        #expect(try after.alert()?.version == version)
    }

    @Test func theButtonToModalToSubmissionPathOverHTTP() async throws {
        let bed = try SlackTestBed()
        let server = try Self.server(bed)
        defer { server.stop() }
        let posted = try #require(try await bed.fail().first)
        let now = Int(bed.clock.now().timeIntervalSince1970)
        func signedPost(_ path: String, _ body: Data) async throws -> HTTPResponse {
            try await Self.post(server, path, body: body, headers: FakeSlackPayloads.signatureHeaders(body: body, secret: SlackTestBed.signingSecret, timestamp: now))
        }

        let snooze = try #require(SlackTestBed.actionID(.snooze, in: posted))
        let click = try await signedPost("/slack/interactions", FakeSlackPayloads.interactionBody(
            FakeSlackPayloads.blockActions(message: posted, actionID: snooze.actionID, user: "U0DANA", trigger: bed.fake.issueTrigger())))
        #expect(click.status == 200 && click.body.isEmpty)
        await bed.settled()   // the click's work (opening the form) is done
        #expect(bed.fake.views.count == 1)

        let bad = try await signedPost("/slack/interactions", FakeSlackPayloads.interactionBody(
            FakeSlackPayloads.viewSubmission(bed.fake.views[0], values: ["duration": "400d", "rationale": "later"], user: "U0DANA")))
        let errors = try #require(JSONSerialization.jsonObject(with: bad.body) as? [String: Any])
        #expect(errors["response_action"] as? String == "errors")
        #expect((errors["errors"] as? [String: String])?["duration"] != nil)

        let good = try await signedPost("/slack/interactions", FakeSlackPayloads.interactionBody(
            FakeSlackPayloads.viewSubmission(bed.fake.views[0], values: ["duration": "1d", "rationale": "change freeze until tomorrow"], user: "U0DANA")))
        #expect(good.status == 200 && good.body.isEmpty, "\(String(decoding: good.body, as: UTF8.self))")
        #expect(try bed.alert()?.state == .snoozed)
        await bed.settled()
        try await bed.dispatcher.drain()
        #expect(bed.fake.updates.count == 1)
    }

    @Test func urlVerificationHealthAndUnknownRoutes() async throws {
        let bed = try SlackTestBed()
        let server = try Self.server(bed)
        defer { server.stop() }
        let now = Int(bed.clock.now().timeIntervalSince1970)
        let challenge = Data(#"{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#.utf8)
        let verified = try await Self.post(server, "/slack/events", body: challenge,
                                           headers: FakeSlackPayloads.signatureHeaders(body: challenge, secret: SlackTestBed.signingSecret, timestamp: now))
        #expect(verified.status == 200)
        #expect(String(decoding: verified.body, as: UTF8.self).contains("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))

        let health = try await URLSessionTransport().send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(server.port)/healthz")!))
        #expect(health.status == 200)
        let missing = try await URLSessionTransport().send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(server.port)/admin")!))
        #expect(missing.status == 404)
        let wrongMethod = try await URLSessionTransport().send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(server.port)/slack/commands")!))
        #expect(wrongMethod.status == 405)
    }
}
