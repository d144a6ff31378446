import Foundation
import Sockets
import Synchronization
import Testing
import TestSupport
import HTTP

/// `soc2bot run` with Slack configured, as a separate process against a fake Slack on loopback: Socket Mode
/// connects and answers commands; HTTP mode serves `/healthz` and signed commands on `server.listen`.
@Suite("soc2bot run with Slack", .serialized)
struct SlackRunTests {
    @Test func socketModeConnectsAndAnswersCommands() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = FakeSlackWebAPI(channels: ["C0NWINFRA"])
        let web = try fake.serve()
        defer { web.stop() }
        let socket = try FakeSlackSocketMode()
        defer { socket.stop() }
        fake.setSocketModeURL(socket.url)
        let manifests = try CLI.demoManifests(in: dir, extra: """
            chat:
              slack:
                bot_token: SLACK_BOT_TOKEN
                app_token: SLACK_APP_TOKEN
                api_base_url: http://127.0.0.1:\(web.port)/api/

            """)
        let bot = try CLI.RunningBot(manifests: manifests.path, database: dir.appendingPathComponent("bot.sqlite").path,
                          environment: ["SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token"])
        #expect(await eventually(timeout: 30) { socket.openConnections.count == 1 }, "\(bot.text)")
        #expect(!bot.text.contains("xapp-test-token") && !bot.text.contains("xoxb-test-token"), "tokens never reach the log")

        let help = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("help", user: "U0NWDANA01", trigger: fake.issueTrigger()))
        #expect(await eventually(timeout: 30) { socket.acknowledgement(help) != nil })
        let text = String(decoding: socket.acknowledgement(help)?.payload ?? Data(), as: UTF8.self)
        #expect(text.contains("ephemeral") && text.contains("/soc2 status"))
        let status = socket.send(type: "slash_commands", payload: FakeSlackPayloads.slashCommandObject("status", user: "U0NWDANA01", trigger: fake.issueTrigger()))
        #expect(await eventually(timeout: 30) { socket.acknowledgement(status) != nil })
        #expect(try await bot.stop() == 0, "\(bot.text)")
    }

    @Test func httpModeServesHealthAndSignedCommandsAndRefusesForgedOnes() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A free port: bound, read back, released.
        let probe = HTTPServer(configuration: .init(), handler: { _ in .text(200, "") })
        try probe.start()
        let port = probe.port
        probe.stop()
        let secret = "8f742231b10e8888abcd99yyyzzz85a5"
        let manifests = try CLI.demoManifests(in: dir, extra: """
            chat:
              slack:
                mode: http
                bot_token: SLACK_BOT_TOKEN
                signing_secret: SLACK_SIGNING_SECRET
                api_base_url: http://127.0.0.1:9/api/
            server:
              listen: 127.0.0.1:\(port)

            """)
        let bot = try CLI.RunningBot(manifests: manifests.path, database: dir.appendingPathComponent("bot.sqlite").path,
                          environment: ["SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": secret])
        let base = "http://127.0.0.1:\(port)"
        let transport = URLSessionTransport()
        #expect(await eventually(timeout: 30) {
            (try? await transport.send(HTTPRequest(method: "GET", url: URL(string: "\(base)/healthz")!)))?.status == 200
        }, "\(bot.text)")

        let body = FakeSlackPayloads.slashCommand("help", user: "U0NWDANA01", trigger: "1.2.3")
        let now = Int(PeerTime.now().timeIntervalSince1970)
        func post(_ headers: [(String, String)]) async throws -> HTTPResponse {
            try await transport.send(HTTPRequest(method: "POST", url: URL(string: "\(base)/slack/commands")!,
                                                 headers: headers + [("Content-Type", "application/x-www-form-urlencoded")], body: body))
        }
        let answer = try await post(FakeSlackPayloads.signatureHeaders(body: body, secret: secret, timestamp: now))
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("/soc2 status"))
        let forged = try await post(FakeSlackPayloads.signatureHeaders(body: body, secret: "guess", timestamp: now))
        #expect(forged.status == 401)
        #expect(try await bot.stop() == 0, "\(bot.text)")
    }

    @Test func aMissingSecretStopsTheBotBeforeItStarts() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = try CLI.demoManifests(in: dir, extra: "chat:\n  slack: {bot_token: SLACK_BOT_TOKEN, app_token: SLACK_APP_TOKEN}\n")
        let bot = try CLI.RunningBot(manifests: manifests.path, database: dir.appendingPathComponent("bot.sqlite").path, environment: ["SLACK_BOT_TOKEN": "xoxb-1"])
        let process = bot.process
        #expect(try await offThePool { process.waitUntilExit(); return process.terminationStatus } != 0)
        #expect(await eventually { bot.text.contains("SLACK_APP_TOKEN") }, "\(bot.text)")
    }
}
