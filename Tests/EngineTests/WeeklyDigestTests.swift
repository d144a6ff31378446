import Chat
import Core
import Crypto
import Engine
import FactSources
import Foundation
import Logging
import Store
import Testing
import TestSupport

/// The weekly digest at the manifests' moment: team channels and the leadership channel, an executive summary,
/// recorded in the ledger, once a week.
@Suite("Weekly digest")
struct WeeklyDigestTests {
    static let monday = Date(timeIntervalSince1970: 1_772_438_400)   // 2026-03-02 08:00 UTC, a Monday

    struct Buckets: FactSource {
        let id: SourceID = "aws"
        let provides: Set<FactKind> = [.buckets]
        func facts(_ kinds: Set<FactKind>) async throws -> Facts {
            var facts = Facts()
            facts.buckets = [Bucket(provider: "S3", name: "exports", encryption: .none, isPublic: false)]
            return facts
        }
    }

    @Test func theNextDigestMomentIsTheScheduledWeekdayAndHour() {
        let schedule = DigestSchedule(weekday: 1, hour: 9)
        #expect(schedule.next(after: Self.monday) == Self.monday.addingTimeInterval(3_600))
        #expect(schedule.next(after: Self.monday.addingTimeInterval(3_600)) == Self.monday.addingTimeInterval(7 * 86_400 + 3_600))
        #expect(DigestSchedule(weekday: 5, hour: 17).next(after: Self.monday) == Self.monday.addingTimeInterval(4 * 86_400 + 9 * 3_600))
    }

    @Test func theDigestGoesToTeamsAndLeadershipOnceAWeek() async throws {
        var config = EngineFixtures.config()
        config.controls[0].check = CheckSpec(type: "storage_encryption", sources: ["aws"])
        config.digest = DigestSchedule(weekday: 1, hour: 9, leadership: [.terminal: "#leadership"])
        let clock = VirtualClock(start: Self.monday)
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [Buckets()], surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        func posts() throws -> [(String, ChatMessage)] {
            try bot.engine.database.read { try $0.pendingOutbox(platforms: [.terminal]) }.filter { $0.alert == nil && $0.kind == .post }
                .map { ($0.destination.address, try StoreJSON.decode(ChatMessage.self, from: $0.payload)) }
        }
        try await bot.loop.step()   // 08:00: the control runs, the alert opens; no digest yet
        #expect(try posts().isEmpty)
        clock.advance(by: 3_600)     // 09:00
        try await bot.loop.step()
        let digest = try posts()
        #expect(Set(digest.map(\.0)) == ["#infra", "#leadership"])
        // Each channel gets the text, then its twelve-week chart as an image.
        #expect(digest.map(\.0) == ["#infra", "#infra", "#leadership", "#leadership"])
        #expect(digest.map { $0.1.image == nil } == [true, false, true, false])
        let chart = try #require(digest.last?.1.image)
        #expect(chart.data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && chart.mimeType == "image/png")
        #expect(chart.filename == "soc2-trend-organisation-2026-03-02.png")
        #expect(digest.last?.1.title == "Test Co: open risk, MTTD and MTTR over the last 12 weeks")
        #expect(chart.altText.hasPrefix("Open alerts 0 → 1 over 12 weeks"), "\(chart.altText)")
        #expect(digest[1].1.image?.filename == "soc2-trend-infra-2026-03-02.png")
        let leadership = try #require(digest.first { $0.0 == "#leadership" }?.1)
        #expect(leadership.title.hasPrefix("Weekly SOC 2 digest — Test Co"))
        #expect(leadership.body?.hasPrefix("0 Critical open, 1 High open (Buckets encrypted: exports (S3), escalated), MTTD this week") == true, "\(leadership.body ?? "")")
        #expect(leadership.body?.contains("evidence coverage 100%") == true)
        let team = try #require(digest.first { $0.0 == "#infra" }?.1)
        #expect(team.body?.contains("1 High open") == true)
        let recorded = try bot.engine.database.read { try $0.evidence(subject: "digest") }
        #expect(recorded.count == 1)
        // The ledger names each chart sent, with the SHA-256 of the bytes posted.
        let entry = try #require(try JSONSerialization.jsonObject(with: recorded[0]) as? [String: Any])
        let charts = try #require((entry["data"] as? [String: Any])?["charts"] as? [[String: Any]])
        #expect(charts.map { $0["destination"] as? String } == ["terminal:#infra", "terminal:#leadership"])
        #expect(charts.last?["filename"] as? String == chart.filename && charts.last?["bytes"] as? Int == chart.data.count)
        #expect(charts.last?["sha256"] as? String == Data(SHA256.hash(data: chart.data)).hexString)

        // Nothing more until next Monday 09:00.
        clock.advance(by: 3 * 86_400)
        try await bot.loop.step()
        #expect(try posts().count == 4)
        clock.advance(by: 4 * 86_400)
        try await bot.loop.step()
        #expect(try posts().count == 8)
    }
}
