import Chat
import Core
import Engine
import Foundation
import Testing
import TestSupport

/// One dispatcher per chat platform: a message one platform gives up on is raised on another, whose dispatcher
/// delivers the notice at once — in the same step under the deterministic driver, woken by the doorbell when each
/// platform is its own service.
@Suite("One dispatcher per platform")
struct PlatformDispatchersTests {
    /// The fixtures' organisation with team infra also in Slack channel C0INFRA and security lead priya in Slack.
    static func config() -> BotConfig {
        var config = EngineFixtures.config()
        config.teams[0].channels = ChannelRoutes(defaults: [.terminal: "#infra", .slack: "C0INFRA"])
        if let priya = config.people.firstIndex(where: { $0.id == "priya" }) { config.people[priya].chatIDs[.slack] = "UPRIYA" }
        return config
    }

    @Test func theDriverDeliversANoticeRaisedOnAnotherPlatformInTheSameStep() async throws {
        let config = Self.config()
        let engine = try EngineFixtures.engine(config)
        try engine.reconcile(config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: EngineFixtures.t0)
        let slack = RecordingSurface(platform: .slack), terminal = RecordingSurface(platform: .terminal)
        // The terminal (delivered after Slack: platforms go in order) refuses the alert's post for good.
        await terminal.failNext([DeliveryError.permanent("channel_not_found")])
        let clock = VirtualClock(start: EngineFixtures.t0)
        let bot = Bot.make(config: config, database: engine.database, sources: [], surfaces: [terminal, slack], clock: clock,
                           logger: EngineFixtures.logger, start: EngineFixtures.t0)
        #expect(bot.dispatchers.map(\.delivering) == [[.slack], [.terminal]])
        try await bot.deliver()
        let toSlack = await slack.delivered
        #expect(toSlack.map(\.kind) == [.post, .direct], "the alert's post, then the notice to priya")
        #expect(toSlack.last?.destination == .direct(.slack, "UPRIYA"))
        #expect(await terminal.delivered.map(\.destination) == [.direct(.terminal, "priya")])
    }

    // A safety limit only: were the Slack service not woken, the notice would wait for its hour-long idle poll.
    @Test(.timeLimit(.minutes(1))) func aPlatformsServiceIsWokenByANoticeAnotherRaised() async throws {
        let config = Self.config()
        let engine = try EngineFixtures.engine(config)
        try engine.reconcile(config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: EngineFixtures.t0)
        let (deliveries, announce) = AsyncStream.makeStream(of: DeliveryKind.self)
        let slack = DeliveryDuringWorkTests.AnnouncingSurface(inner: RecordingSurface(platform: .slack), delivered: announce)
        let terminal = RecordingSurface(platform: .terminal)
        await terminal.failNext([DeliveryError.permanent("channel_not_found")])
        // Hour-long sleeps on a test clock nobody advances: only rings and cancellation end them.
        let clock = TestClock(start: EngineFixtures.t0)
        let bot = Bot.make(config: config, database: engine.database, sources: [], surfaces: [terminal, slack], clock: clock,
                           logger: EngineFixtures.logger, start: EngineFixtures.t0, idlePoll: 3_600)
        let services = bot.dispatchers.map { DeliveryService(dispatcher: $0, clock: clock, doorbell: bot.doorbell, idlePoll: 3_600) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            var kinds: [DeliveryKind] = []
            for await kind in deliveries {
                kinds.append(kind)
                if kind == .direct { break }
            }
            #expect(kinds == [.post, .direct], "Slack delivered the alert's post and the notice the terminal raised")
            group.cancelAll()
        }
    }
}
