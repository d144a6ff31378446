import Core
import Engine
import FactSources
import Foundation
import Testing
import TestSupport

/// The bot's clock reaches what waits: a live source built by the composition root waits out a rate limit on it
/// (not on the wall clock), and goes on when that clock says.
@Suite("One clock")
struct ClockInjectionTests {
    @Test(.timeLimit(.minutes(1)))
    func aLiveSourceWaitsOutARateLimitOnTheBotsClock() async throws {
        // Given the bot's clock, and GitHub answering the first members page with a rate limit that resets in 30 s
        let clock = TestClock()
        let github = FakeGitHub(organization: .init(login: "acme", members: [.init("dana-r"), .init("lee")]), now: clock.nowClosure)
        github.failNext([.primaryRateLimit(resetIn: 30)], pathContains: "/members")
        var config = Sample.config()
        config.sources = [SourceConfig(id: "github", kind: "github", settings: ["organization": .string("acme"),
                                                                                 "base_url": .string("https://api.github.test")])]
        let source = try #require(Bot.sources(for: config, clock: clock, environment: ["GITHUB_TOKEN": github.token], transport: github,
                                              demoWorld: { _ in nil }).first)
        #expect(!(source is UnavailableSource))

        // When it reads, it waits the 30 s on the bot's clock: nothing more is read until that clock moves
        let reading = Task { try await source.facts([.accounts]).accounts }
        await clock.sleepers(1)
        #expect(clock.waits == [30])
        clock.advance(by: 30)

        // Then the read completes after the wait
        #expect(try await reading.value?.count == 2)
    }
}
