import Chat
import Core
import Engine
import FactSources
import Foundation
import Logging
import Store
import Synchronization
import Testing
import TestSupport

/// The controls teams forget, end to end on a test clock: the vendor register with renewals recorded from chat,
/// training deadlines with reminders that escalate to the manager, and policy attestations from chat.
@Suite("Vendors, training and policies with reminders")
struct RegistersAndRemindersTests {
    static let start = Date(timeIntervalSince1970: 1_772_438_400)   // 2026-03-02 08:00 UTC
    static let day: TimeInterval = 86_400

    final class People: FactSource {
        let id: SourceID = "hr"
        let provides: Set<FactKind> = [.people, .training]
        let completions = Mutex<[String: Date]>([:])
        func facts(_ kinds: Set<FactKind>) async throws -> Facts {
            var facts = Facts()
            facts.people = [HRPerson(employeeID: "1", name: "Omar", email: "omar@test.example", status: .active),
                            HRPerson(employeeID: "2", name: "Priya", email: "priya@test.example", status: .active)]
            facts.training = completions.withLock { $0 }.map { TrainingRecord(email: $0.key, completedAt: $0.value) }
            return facts.selecting(kinds)
        }
    }

    static func config() -> BotConfig {
        BotConfig(
            organisation: "Test Co",
            people: [
                Person(id: "dana", name: "Dana", email: "dana@test.example", team: "infra", chatIDs: [.terminal: "dana"]),
                Person(id: "omar", name: "Omar", email: "omar@test.example", team: "infra", manager: "dana", chatIDs: [.terminal: "omar"]),
                Person(id: "priya", name: "Priya", email: "priya@test.example", team: "security", chatIDs: [.terminal: "priya"]),
            ],
            teams: [Team(id: "infra", name: "Infrastructure", manager: "dana", channels: ChannelRoutes(defaults: [.terminal: "#infra"])),
                    Team(id: "security", name: "Security", manager: "priya", channels: ChannelRoutes(defaults: [.terminal: "#security"]))],
            securityLeads: ["priya"],
            controls: [
                Control(id: "vendor-reports", title: "Tier 1 vendors' SOC 2 reports are current", criteria: [Criterion("CC9.2")!], owner: "security",
                        severity: .high, cadence: day, check: CheckSpec(type: "vendor_reports", sources: ["register"], parameters: ["tiers": .list([.number(1)])]),
                        remediation: "Request the new report; record it with /soc2 vendor renew."),
                Control(id: "training", title: "Security training is current", criteria: [Criterion("CC1.4")!], owner: "security", severity: .medium,
                        cadence: day, check: CheckSpec(type: "training", sources: ["hr"]), remediation: "Complete the training."),
                Control(id: "tabletop", title: "Incident response tabletop", criteria: [Criterion("CC7.4")!], owner: "infra", severity: .low,
                        cadence: 90 * day, check: nil, remediation: "Run the tabletop and record it.",
                        evidenceExpected: "notes of a tabletop exercise with the on-call rotation"),
                Control(id: "aup", title: "Acceptable use policy attested", criteria: [Criterion("CC1.1")!], owner: "security", severity: .medium,
                        cadence: day, check: CheckSpec(type: "policy_attestation"), remediation: "Read it and /soc2 attest aup."),
            ],
            sources: [SourceConfig(id: "register", kind: "vendor_register"), SourceConfig(id: "hr", kind: "csv_hr")],
            vendors: [VendorEntry(id: "stripe", name: "Stripe", tier: 1, owner: "dana", reportPeriodEnd: start.addingTimeInterval(-387 * day))],
            policies: [PolicyEntry(id: "aup", title: "Acceptable use", owner: "priya", teams: ["infra"], publishedAt: start.addingTimeInterval(-20 * day))])
    }

    struct Harness {
        let bot: Bot
        let clock: VirtualClock
        let people: People
        func live() throws -> [Alert] { try bot.engine.database.read { try $0.liveAlerts() } }
        /// Direct messages queued so far: (recipient chat id, title).
        func directs() throws -> [(String, String)] {
            try bot.engine.database.read { try $0.pendingOutbox(platforms: [.terminal]) }.filter { $0.kind == .direct }.map { message in
                (message.destination.address, (try? StoreJSON.decode(ChatMessage.self, from: message.payload))?.title ?? "")
            }
        }
        func say(_ text: String, as chatID: String) throws -> ChatMessage {
            try bot.commands.handle(text, from: chatID, on: .terminal, surface: .chat(.terminal))
        }
    }

    func harness() throws -> Harness {
        let config = Self.config()
        let clock = VirtualClock(start: Self.start)
        let people = People()
        let sources = Bot.sources(for: config, clock: TestClock(), environment: [:]) { _ in nil }.map { source -> any FactSource in source.id == "hr" ? people : source }
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: sources, surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        return Harness(bot: bot, clock: clock, people: people)
    }

    @Test func anExpiredReportAlertsAndARenewalFromChatResolvesIt() async throws {
        let h = try harness()
        try await h.bot.loop.step()
        let alert = try #require(try h.live().first { $0.control == "vendor-reports" })
        #expect(alert.observed.hasPrefix("SOC 2 report expired 2026-02-08") && alert.severity == .high)
        // The message says how long it had been expired when the alert opened: the seed's "Days expired: 22".
        #expect(AlertMessage.render(alert, topLevel: 3).fields.first { $0.label == "Failing since" }?.value == "2026-02-08 08:00 UTC (22 days before this alert)")

        // Someone who is neither the owner nor a security lead is refused (and the refusal is evidence).
        let refused = try h.say("vendor renew stripe 2026-02-28 https://trust.stripe.example/soc2-2026.pdf", as: "omar")
        #expect(refused.title.hasPrefix("Refused: only Dana or a security lead"))
        #expect(try h.say("vendor renew stripe 2027-02-28 https://x.example/r.pdf", as: "dana").title.contains("cannot end in the future"))
        #expect(try h.say("vendor renew acme 2026-02-28 https://x.example/r.pdf", as: "dana").title == "There is no vendor acme in the register.")
        let garbled = try h.say("vendor renew stripe yesterday https://x.example/r.pdf", as: "dana")
        #expect((garbled.title + (garbled.body ?? "")).contains("is not a date"), "\(garbled)")

        let done = try h.say("vendor renew stripe 2026-02-28 https://trust.stripe.example/soc2-2026.pdf", as: "dana")
        #expect(done.title == "Stripe's SOC 2 report renewed by Dana: period end 2026-02-28 00:00 UTC.")
        #expect(!h.bot.triggers.isEmpty, "the vendor controls re-run at once")
        try await h.bot.loop.step()
        #expect(try h.live().contains { $0.control == "vendor-reports" } == false)
        let evidence = try h.bot.engine.database.read { try $0.evidence(subject: "vendor:stripe") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(evidence.count == 1 && evidence[0].contains("soc2-2026.pdf"))

        // The renewed report (period end 28 Feb 2026) lapses on 28 Feb 2027: a month before, its owner is reminded.
        #expect(try h.directs().contains { $0.1.contains("Stripe's SOC 2 report") } == false)
        h.clock.advance(by: Self.start.distance(to: TimeText.parse("2027-01-30T09:00:00Z")!))
        try await h.bot.loop.step()
        #expect(try h.directs().contains { $0.0 == "dana" && $0.1.hasPrefix("Reminder: Stripe's SOC 2 report — due 2027-02-28") })
    }

    @Test func trainingRemindsThePersonThenTheManagerThenAlerts() async throws {
        let h = try harness()
        // Omar's last completion was 355 days ago: due in 10 days. Priya's is fresh.
        h.people.completions.withLock {
            $0 = ["omar@test.example": Self.start.addingTimeInterval(-355 * Self.day), "priya@test.example": Self.start.addingTimeInterval(-10 * Self.day)]
        }
        try await h.bot.loop.step()
        #expect(try h.live().filter { $0.control == "training" }.isEmpty)
        var directs = try h.directs().filter { $0.1.contains("Security awareness training") }
        #expect(directs.map(\.0) == ["omar"], "only the person, 10 days out")
        #expect(directs.first?.1.contains("due 2026-03-12") == true)
        // The terminal labels it as what it is: a reminder, not an escalation.
        let reminder = try #require(try h.bot.engine.database.read { try $0.pendingOutbox(platforms: [.terminal]) }.first { $0.kind == .direct })
        let shown = TerminalRenderer(colour: false).render(try StoreJSON.decode(ChatMessage.self, from: reminder.payload),
                                                           destination: reminder.destination, kind: "direct")
        #expect(shown.hasPrefix("── DM → omar · reminder"), "\(shown)")

        // The next day's run sends nothing new; 3 days before the deadline the manager hears too.
        h.clock.advance(by: Self.day)
        try await h.bot.loop.step()
        #expect(try h.directs().filter { $0.1.contains("Security awareness training") }.count == 1)
        h.clock.advance(by: 6 * Self.day)
        try await h.bot.loop.step()
        directs = try h.directs().filter { $0.1.contains("Security awareness training") }
        #expect(directs.map(\.0).sorted() == ["dana", "omar", "omar"])
        let reminders = try h.bot.engine.database.read { try $0.evidence(subject: "reminder:training:person:omar@test.example") }
        #expect(reminders.count == 2)

        // Past the deadline the control fails and alerts; completing the training resolves it.
        h.clock.advance(by: 4 * Self.day)
        try await h.bot.loop.step()
        #expect(try h.live().contains { $0.control == "training" && $0.observed.contains("lapsed on 2026-03-12") })
        let status = try h.say("status", as: "priya")
        #expect(status.body?.contains("Security training is current: 1 person has not completed it; completion rate 50%, target 100%") == true,
                "\(status.body ?? "")")
        h.people.completions.withLock { $0["omar@test.example"] = h.clock.now() }
        h.clock.advance(by: Self.day)
        try await h.bot.loop.step()
        #expect(try h.live().contains { $0.control == "training" } == false)
    }

    /// A crash after a control run was recorded but before its reminders were delayed them by a whole cadence: the
    /// restarted bot found the control not due. The reminders are decided in the run's transaction, so a crash loses
    /// both, the restarted bot runs the control again at once, and each reminder goes out once.
    @Test func aCrashBeforeARunsRemindersAreRecordedNeitherDelaysNorRepeatsThem() async throws {
        let h = try harness()
        h.people.completions.withLock {
            $0 = ["omar@test.example": Self.start.addingTimeInterval(-355 * Self.day), "priya@test.example": Self.start.addingTimeInterval(-10 * Self.day)]
        }
        // Given the process dies as the training reminder is being recorded (SQLite refuses that ledger entry, as a
        // kill would leave it unwritten)
        let database = h.bot.engine.database
        try await database.writer.write { db in
            try db.execute(sql: """
                CREATE TRIGGER die_at_the_reminder BEFORE INSERT ON ledger WHEN NEW.kind = 'reminder'
                BEGIN SELECT RAISE(ABORT, 'the process was killed here'); END
                """)
        }
        await #expect(throws: (any Error).self) { try await h.bot.loop.step() }
        try await database.writer.write { try $0.execute(sql: "DROP TRIGGER die_at_the_reminder") }

        // When the bot restarts at the same moment
        let config = Self.config()
        let sources = Bot.sources(for: config, clock: TestClock(), environment: [:]) { _ in nil }.map { source -> any FactSource in source.id == "hr" ? h.people : source }
        let restarted = Bot.make(config: config, database: database, sources: sources, surfaces: [], clock: h.clock,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: Self.start)
        try await restarted.loop.step()

        // Then Omar is reminded now, not a day later
        let training = { try h.directs().filter { $0.1.contains("Security awareness training") }.map(\.0) }
        #expect(try training() == ["omar"])
        // And only once, however often the control runs before the next stage
        try await restarted.loop.step()
        h.clock.advance(by: Self.day)
        try await restarted.loop.step()
        #expect(try training() == ["omar"])
        #expect(try database.read { try $0.evidence(subject: "reminder:training:person:omar@test.example") }.count == 1)
    }

    /// A renewal recorded from chat re-runs the vendor controls at once. The request to re-run is recorded with the
    /// renewal: a crash before the loop ran them left the expired-report alert open for a whole cadence (a day here).
    @Test func aRenewalsReRunSurvivesACrashBeforeIt() async throws {
        let h = try harness()
        try await h.bot.loop.step()
        #expect(try h.live().contains { $0.control == "vendor-reports" })
        #expect(try h.say("vendor renew stripe 2026-02-28 https://trust.stripe.example/soc2-2026.pdf", as: "dana").title.contains("renewed"))

        // The process dies before its loop runs the vendor controls; the bot restarts at the same moment.
        let config = Self.config()
        let sources = Bot.sources(for: config, clock: TestClock(), environment: [:]) { _ in nil }.map { source -> any FactSource in source.id == "hr" ? h.people : source }
        let restarted = Bot.make(config: config, database: h.bot.engine.database, sources: sources, surfaces: [], clock: h.clock,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: Self.start)
        try await restarted.loop.step()

        #expect(try h.live().contains { $0.control == "vendor-reports" } == false)
        #expect(try h.bot.engine.database.read { try $0.requestedRuns() }.isEmpty, "answered by that run")
    }

    @Test func policyAttestationsFromChat() async throws {
        let h = try harness()
        try await h.bot.loop.step()
        // Published 20 days ago with 30 days' grace: Omar and Dana (team infra) are due in 10 days and reminded.
        #expect(Set(try h.directs().filter { $0.1.contains("Acceptable use") }.map(\.0)) == ["omar", "dana"])
        #expect(try h.say("attest nope", as: "omar").title == "There is no policy nope.")
        #expect(try h.say("attest aup", as: "omar").title == "Omar attested to “Acceptable use”.")
        #expect(try h.say("attest aup", as: "priya").body?.contains("not among the people who must") == true)
        try await h.bot.loop.step()
        // 11 days on: Dana never attested and alerts; Omar does not.
        h.clock.advance(by: 11 * Self.day)
        try await h.bot.loop.step()
        let failing = try h.live().filter { $0.control == "aup" }.map(\.resourceKey)
        #expect(failing == ["policy:aup:dana@test.example"])
        let evidence = try h.bot.engine.database.read { try $0.evidence(subject: "policy:aup") }
        #expect(evidence.count == 2)
    }

    @Test func aManualControlRemindsItsOwnerTakesEvidenceFromChatAndAlertsWhenLate() async throws {
        let h = try harness()
        try await h.bot.loop.step()
        #expect(try h.live().contains { $0.control == "tabletop" } == false)
        // 77 days on (13 before the 90-day deadline) the owning team's manager is reminded.
        h.clock.advance(by: 77 * Self.day)
        try await h.bot.loop.step()
        #expect(try h.directs().filter { $0.1.contains("Incident response tabletop") }.map(\.0) == ["dana"])
        #expect(try h.say("evidence tabletop ran it", as: "priya").title.hasPrefix("Evidence recorded"), "a security lead may")
        let refusedConfig = try h.say("evidence offboarding did it", as: "omar")
        #expect(refusedConfig.title == "There is no manual control offboarding.")
        let done = try h.say("evidence tabletop ran the Q1 tabletop with on-call https://wiki.example/ir/q1", as: "omar")
        #expect(done.title == "Evidence recorded for Incident response tabletop by Omar.")
        try await h.bot.loop.step()
        // The next deadline counts from the evidence: 91 days later it is late and alerts the team.
        h.clock.advance(by: 91 * Self.day)
        try await h.bot.loop.step()
        let alert = try #require(try h.live().first { $0.control == "tabletop" })
        #expect(alert.team == "infra" && alert.observed.contains("last evidence") && alert.observed.contains("by omar"))
        let evidence = try h.bot.engine.database.read { try $0.evidence(subject: "manual:tabletop") }
        #expect(evidence.count == 2)
    }

    /// A restart does not move a never-evidenced manual control's deadline: it counts from the first evaluation.
    @Test func aRestartDoesNotMoveAManualDeadline() async throws {
        let h = try harness()
        try await h.bot.loop.step()
        let restartedAt = Self.start.addingTimeInterval(60 * Self.day)
        let restarted = Bot.make(config: Self.config(), database: h.bot.engine.database, sources: [], surfaces: [], clock: h.clock,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: restartedAt)
        let control = try #require(Self.config().control("tabletop"))
        let summary = try await restarted.scheduler.runOnce(control, at: Self.start.addingTimeInterval(91 * Self.day))
        #expect(summary.opened.count == 1, "due 90 days after the first evaluation, not after the restart")
    }
}
