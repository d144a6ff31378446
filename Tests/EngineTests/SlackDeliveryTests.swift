import Chat
import Core
import Engine
import Foundation
import HTTP
import Store
import Testing
import TestSupport

/// The spine with Slack as the surface: an alert is posted to the team's Slack channel, an acknowledgement edits
/// it and threads the line, an escalation DMs the manager — through the real dispatcher and a fake Slack API.
@Suite("Alert lifecycle delivered to Slack")
struct SlackDeliveryTests {
    @Test func anAlertsWholeStoryReachesSlack() async throws {
        let (engine, fake, clock, dispatcher) = try SlackBlocksDeliveryTests().setup()
        #expect(try await dispatcher.drain() == 1)
        let ref = try #require(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.first)
        #expect(ref.platform == .slack && ref.channel == "C0INFRA")

        clock.advance(by: 60)
        try engine.apply(AlertRequest(.acknowledge, by: .person("omar"), via: .chat(.slack), at: clock.now()), to: AlertID(1))
        try await dispatcher.drain()
        #expect(fake.updates.map(\.ts) == [ref.messageID])
        #expect(fake.messages.contains { $0.threadTS == ref.messageID && $0.text.contains("omar acknowledged") })

        // The SLA (24 h) passes: escalation to the manager, dana, whose Slack id is UDANA.
        clock.advance(by: 86_400)
        try engine.fireTimers(at: clock.now())
        try await dispatcher.drain()
        #expect(fake.messages.contains { $0.channel == "DDANA" })
        // Nothing for Slack is left behind (dana's terminal DM waits for a terminal surface this test has none of).
        #expect(try engine.database.read { try $0.pendingOutbox(platforms: [.slack]) }.isEmpty)
        #expect(try engine.database.read { try $0.pendingOutbox(platforms: [.terminal]) }.count == 1)
    }
}

/// Alerts that Slack would not take as first rendered still arrive.
@Suite("Slack delivery: nothing refused for its blocks")
struct SlackBlocksDeliveryTests {
    func setup(resource: String = "b1") throws -> (AlertEngine, FakeSlackWebAPI, VirtualClock, Dispatcher) {
        var config = EngineFixtures.config()
        config.teams[0].channels = ChannelRoutes(defaults: [.slack: "C0INFRA"])
        let engine = try EngineFixtures.engine(config)
        let fake = FakeSlackWebAPI(channels: ["C0INFRA"])
        let clock = VirtualClock(start: EngineFixtures.t0)
        let slack = SlackSurface(api: SlackWebAPI(token: "xoxb-test-token", transport: fake), clock: clock)
        let dispatcher = Dispatcher(database: engine.database, surfaces: [slack], clock: clock, logger: EngineFixtures.logger)
        try engine.reconcile(config.controls[0], results: [EngineFixtures.result(resource, .fail)], at: EngineFixtures.t0)
        return (engine, fake, clock, dispatcher)
    }

    /// A device named with 40 emoji: its alert's header is 270 code points but few visible characters. It reaches
    /// Slack with its blocks (the header cut as Slack counts), not refused as `invalid_blocks` and lost.
    @Test func anAlertAboutADeviceNamedWithEmojiArrivesWithItsBlocks() async throws {
        let (engine, fake, _, dispatcher) = try setup(resource: String(repeating: "🧑🏾‍💻", count: 40))
        #expect(try await dispatcher.drain() == 1)
        let posted = try #require(fake.messages.first)
        #expect(posted.blocks > 0)
        let body = try #require(try JSONSerialization.jsonObject(with: posted.body) as? [String: Any])
        let header = try #require(((body["blocks"] as? [[String: Any]])?.first?["text"] as? [String: Any])?["text"] as? String)
        #expect(header.utf16.count <= 150 && header.hasSuffix("🧑🏾‍💻…"))
        #expect(try engine.database.read { try $0.undeliverableOutbox() }.isEmpty)
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == [posted.ts])
    }

    /// Slack refuses the blocks anyway: the alert is posted as plain text, its reference stored, and the next edit
    /// edits that message.
    @Test func blocksSlackRefusesStillDeliverTheAlertAndLaterEditsWork() async throws {
        let (engine, fake, clock, dispatcher) = try setup()
        fake.refuseBlocks()
        #expect(try await dispatcher.drain() == 1)
        let posted = try #require(fake.messages.first)
        #expect(posted.blocks == 0 && posted.text.contains("Buckets encrypted: b1"))
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == [posted.ts])
        clock.advance(by: 60)
        try engine.apply(AlertRequest(.acknowledge, by: .person("omar"), via: .chat(.slack), at: clock.now()), to: AlertID(1))
        #expect(try await dispatcher.drain() == 1)
        #expect(fake.updates.map(\.ts) == [posted.ts])
        #expect(fake.messages.filter { $0.threadTS == nil }.count == 1, "edited, not posted again")
    }

    /// The surface's own pacing (one message per channel per second) is not a failure: nothing is counted as
    /// failing, no error is kept, and nothing is logged as a warning; the second alert goes a second later.
    @Test func pacingIsNotAFailure() async throws {
        let (engine, _, clock, _) = try setup()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail), EngineFixtures.result("b2", .fail)],
                             at: EngineFixtures.t0)
        let logs = LogRecorder()
        let fake = FakeSlackWebAPI(channels: ["C0INFRA"])
        let slack = SlackSurface(api: SlackWebAPI(token: "xoxb-test-token", transport: fake), clock: clock)
        let dispatcher = Dispatcher(database: engine.database, surfaces: [slack], clock: clock, logger: logs.logger)
        #expect(try await dispatcher.drain() == 1)
        #expect(try engine.database.read { try $0.outboxFailing() } == 0)
        #expect(try engine.database.read { try $0.allOutbox() }.allSatisfy { $0.lastError == nil })
        #expect(!logs.logged.contains { $0.level >= .warning }, "\(logs.logged)")
        clock.advance(to: try #require(try await dispatcher.nextAttempt()))
        #expect(try await dispatcher.drain() == 1)
        #expect(fake.messages.count == 2)
    }
}

@Suite("Chat surfaces from the manifests")
struct ChatSurfacesTests {
    @Test func slackIsAddedWhenConfiguredAndItsTokenIsSet() async throws {
        var config = EngineFixtures.config()
        #expect(try await Bot.surfaces(for: config, clock: TestClock(), environment: [:], extra: []).isEmpty)
        config.chat = ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN", apiBaseURL: "https://slack.test/api/"))
        let surfaces = try await Bot.surfaces(for: config, clock: TestClock(), environment: ["SLACK_BOT_TOKEN": "xoxb-1"], extra: [])
        #expect(surfaces.map(\.platform) == [.slack])
    }

    @Test func aConfiguredPlatformWithoutItsTokenRefusesToStart() async {
        var config = EngineFixtures.config()
        config.chat = ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN"))
        await #expect(throws: Bot.SurfaceError.self) { try await Bot.surfaces(for: config, clock: TestClock(), environment: [:], extra: []) }
        await #expect(throws: Bot.SurfaceError.self) { try await Bot.surfaces(for: config, clock: TestClock(), environment: ["SLACK_BOT_TOKEN": ""], extra: []) }
    }

    /// Matrix is connected by its adapter like Slack: signed in with the access token (checked with `whoami`), its
    /// surface among the bot's; a token for another account refuses to start.
    @Test func matrixIsConnectedThroughTheRegistryWhenItsTokenIsSet() async throws {
        var config = EngineFixtures.config()
        config.chat = ChatConfig(matrix: .init(homeserver: "http://127.0.0.1:9", userID: "@bot:hs", accessTokenVariable: "MATRIX_TOKEN"))
        let whoami = CannedTransport([HTTPResponse(status: 200, body: Data(#"{"user_id":"@bot:hs"}"#.utf8))])
        let connections = try await Bot.connections(for: config, clock: TestClock(), environment: ["MATRIX_TOKEN": "syt_1"], transport: whoami)
        #expect(connections.map(\.surface.platform) == [.matrix])
        #expect(whoami.seen == ["/_matrix/client/v3/account/whoami"])
        let other = CannedTransport([HTTPResponse(status: 200, body: Data(#"{"user_id":"@eve:hs"}"#.utf8))])
        await #expect(throws: Bot.SurfaceError.self) {
            try await Bot.surfaces(for: config, clock: TestClock(), environment: ["MATRIX_TOKEN": "syt_1"], transport: other, extra: [])
        }
    }
}
