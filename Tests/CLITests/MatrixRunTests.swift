import Foundation
import Testing
import TestSupport

/// `soc2bot run` with Matrix configured, as a separate process against the Synapse scripts/test starts: it signs
/// in with the access token, joins the team room it was invited to, and answers `!soc2` commands there.
@Suite("soc2bot run with Matrix", .serialized)
struct MatrixRunTests {
    @Test func theBotJoinsItsRoomAndAnswersCommands() async throws {
        let server = try SynapseTestServer()
        let bot = try await server.register(localpart: "soc2bot")
        let dana = try await server.register(localpart: "dana")
        let room = try await dana.createRoom(name: "infra", invite: [bot.userID])
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The demo organisation with infra's alerts routed to the room, and dana's Matrix id.
        let manifests = try CLI.demoManifests(in: dir, extra: """
            chat:
              matrix: {homeserver: "\(server.baseURL.absoluteString)", user_id: "\(bot.userID)", access_token: MATRIX_ACCESS_TOKEN}

            """)
        for name in ["people.yaml", "teams.yaml"] {
            let url = manifests.appendingPathComponent(name)
            let text = try String(contentsOf: url, encoding: .utf8)
                .replacingOccurrences(of: "@dana:northwind.example", with: dana.userID)
                .replacingOccurrences(of: "!infra-alerts:northwind.example", with: room)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let running = try CLI.RunningBot(manifests: manifests.path, database: dir.appendingPathComponent("bot.sqlite").path,
                                         environment: ["MATRIX_ACCESS_TOKEN": bot.accessToken])
        #expect(await eventually(timeout: 60) {
            (try? await dana.messages(in: room).contains { $0.type == "m.room.member" && $0.sender == bot.userID }) == true
        }, "the bot never joined: \(running.text)")
        #expect(!running.text.contains(bot.accessToken), "the token never reaches the log")

        let help = try await dana.sendText("!soc2 help", to: room)
        #expect(await eventually(timeout: 60) {
            (try? await dana.messages(in: room).contains {
                $0.sender == bot.userID && ($0.body ?? "").contains("!soc2 status") && $0.relatesTo?["m.in_reply_to"]?["event_id"]?.stringValue == help
            }) == true
        }, "no answer: \(running.text)")
        #expect(try await running.stop() == 0, "\(running.text)")
    }

    @Test func aTokenForAnotherAccountStopsTheBotBeforeItStarts() async throws {
        let server = try SynapseTestServer()
        let someone = try await server.register(localpart: "someone")
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = try CLI.demoManifests(in: dir, extra: """
            chat:
              matrix: {homeserver: "\(server.baseURL.absoluteString)", user_id: "@soc2bot:localhost", access_token: MATRIX_ACCESS_TOKEN}

            """)
        let running = try CLI.RunningBot(manifests: manifests.path, database: dir.appendingPathComponent("bot.sqlite").path,
                                         environment: ["MATRIX_ACCESS_TOKEN": someone.accessToken])
        let process = running.process
        #expect(try await offThePool { process.waitUntilExit(); return process.terminationStatus } != 0)
        #expect(await eventually { running.text.contains("belongs to \(someone.userID)") }, "\(running.text)")
    }
}
