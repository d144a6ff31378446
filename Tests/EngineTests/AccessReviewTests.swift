import Core
import Engine
import FactSources
import Foundation
import Logging
import Store
import Testing
import TestSupport

/// Access reviews: due → an alert; the reviewer certifies from chat → evidence, and the control re-runs at once
/// and resolves; anyone else is refused and the refusal is recorded.
@Suite("Access reviews certified from chat")
struct AccessReviewTests {
    struct Accounts: FactSource {
        let id: SourceID = "github"
        let provides: Set<FactKind> = [.accounts]
        func facts(_ kinds: Set<FactKind>) async throws -> Facts {
            var facts = Facts()
            facts.accounts = [Account(system: "GitHub", login: "dana-r", email: nil, active: true, mfaEnabled: true, privileged: true)]
            return facts
        }
    }

    @Test func theReviewerCertifiesAndTheAlertResolvesAtOnce() async throws {
        let config = BotConfig(
            organisation: "Northwind",
            people: [Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", chatIDs: [.terminal: "dana"]),
                     Person(id: "omar", name: "Omar", email: "omar@example.com", team: "infra", chatIDs: [.terminal: "omar"])],
            teams: [Team(id: "infra", name: "Infrastructure", manager: "dana", channels: ChannelRoutes(defaults: [.terminal: "#infra"]))],
            securityLeads: ["omar"],
            controls: [Control(id: "github-access-review", title: "GitHub access reviewed quarterly", criteria: [Criterion("CC6.3")!],
                               owner: "infra", severity: .medium, cadence: 86_400,
                               check: CheckSpec(type: "access_review", sources: ["github"],
                                                parameters: ["system": .string("GitHub"), "reviewers": .list([.string("dana")])]),
                               remediation: "Review who has access, remove what is not needed, then /soc2 certify github.")])
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [Accounts()], surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        try await bot.loop.step()
        let alert = try #require(try bot.engine.database.read { try $0.liveAlerts() }.first)
        #expect(alert.observed.contains("never certified; 1 active GitHub account (1 admin)"))

        let refused = try bot.commands.handle("certify github", from: "omar", on: .terminal, surface: .chat(.terminal))
        #expect(refused.title.hasPrefix("Refused: only the reviewers of github"))
        let unknown = try bot.commands.handle("certify jira", from: "dana", on: .terminal, surface: .chat(.terminal))
        #expect(unknown.title == "No access review is configured for jira.")

        let done = try bot.commands.handle("certify GitHub removed 2 stale admins", from: "dana", on: .terminal, surface: .chat(.terminal))
        #expect(done.title == "github access review certified by Dana.")
        #expect(!bot.triggers.isEmpty, "the review control re-runs at once")
        try await bot.loop.step()
        #expect(try bot.engine.database.read { try $0.liveAlerts() }.isEmpty)
        let evidence = try bot.engine.database.read { try $0.evidence(subject: "review:github") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(evidence.count == 1 && evidence[0].contains("removed 2 stale admins"))
    }

    @Test func theReviewersAreRemindedBeforeTheNextReviewIsDueAndTheirManagersNearIt() async throws {
        let config = BotConfig(
            organisation: "Northwind",
            people: [Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", manager: "maya", chatIDs: [.terminal: "dana"]),
                     Person(id: "maya", name: "Maya", email: "maya@example.com", team: "infra", chatIDs: [.terminal: "maya"])],
            teams: [Team(id: "infra", name: "Infrastructure", manager: "maya", channels: ChannelRoutes(defaults: [.terminal: "#infra"]))],
            securityLeads: ["maya"],
            controls: [Control(id: "github-access-review", title: "GitHub access reviewed quarterly", criteria: [Criterion("CC6.3")!],
                               owner: "infra", severity: .medium, cadence: 86_400,
                               check: CheckSpec(type: "access_review", sources: ["github"],
                                                parameters: ["system": .string("GitHub"), "every": .string("30d"), "reviewers": .list([.string("dana")])]),
                               remediation: "Review who has access, then /soc2 certify github.")])
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [Accounts()], surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        _ = try bot.commands.handle("certify GitHub first review", from: "dana", on: .terminal, surface: .chat(.terminal))
        func reminded() throws -> [String] {
            try bot.engine.database.read { try $0.allOutbox() }.filter { $0.kind == .direct && $0.alert == nil }.map(\.destination.address)
        }
        // Daily runs: nothing until 14 days before the due date (day 30), then Dana; from 3 days before, Maya too.
        for day in 1...29 {
            clock.advance(by: 86_400)
            try await bot.loop.step()
            let expected = day < 16 ? [] : day < 27 ? ["dana"] : ["dana", "dana", "maya"]
            #expect(try reminded() == expected, "day \(day)")
        }
        let message = try #require(try bot.engine.database.read { try $0.allOutbox() }.first { $0.kind == .direct })
        #expect(String(decoding: message.payload, as: UTF8.self).contains("/soc2 certify github"))
        #expect(try bot.engine.database.read { try $0.liveAlerts() }.isEmpty)
    }
}
