import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Sockets
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
                                           handler: { await interactions.envelope($0) })
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
        socket.send(type: "interactive", payload: FakeSlackPayloads.blockActions(message: posted, actionID: close.actionID, user: "U0DANA",
                                                                                 trigger: bed.fake.issueTrigger()))
        #expect(await eventually { bed.fake.views.count == 1 })
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

    // MARK: HTTP mode

    /// The bot's inbound server with Slack HTTP mode, on an ephemeral port.
    static func server(_ bed: SlackTestBed) throws -> HTTPServer {
        let routes = InboundRoutes(slack: SlackHTTPEndpoint(interactions: bed.interactions, signingSecret: SlackTestBed.signingSecret, logger: logger))
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
        #expect(await eventually { bed.fake.responses.contains { $0.text.contains("not one soc2bot knows") } })
        #expect(try bed.alert()?.version == version)
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
        #expect(await eventually { bed.fake.views.count == 1 })

        let bad = try await signedPost("/slack/interactions", FakeSlackPayloads.interactionBody(
            FakeSlackPayloads.viewSubmission(bed.fake.views[0], values: ["duration": "400d", "rationale": "later"], user: "U0DANA")))
        let errors = try #require(JSONSerialization.jsonObject(with: bad.body) as? [String: Any])
        #expect(errors["response_action"] as? String == "errors")
        #expect((errors["errors"] as? [String: String])?["duration"] != nil)

        let good = try await signedPost("/slack/interactions", FakeSlackPayloads.interactionBody(
            FakeSlackPayloads.viewSubmission(bed.fake.views[0], values: ["duration": "1d", "rationale": "change freeze until tomorrow"], user: "U0DANA")))
        #expect(good.status == 200 && good.body.isEmpty, "\(String(decoding: good.body, as: UTF8.self))")
        #expect(try bed.alert()?.state == .snoozed)
        #expect(await eventually { (try? await bed.dispatcher.drain()) != nil && bed.fake.updates.count == 1 })
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
