import Core
import Foundation
import GRDB
import Store
import Testing

/// The process killed with SIGKILL at arbitrary points and restarted loses no alert, no ledger entry and no
/// outbox message, and the chain still verifies: the interrupted demo ends exactly where an uninterrupted one does.
@Suite("Crash safety (SIGKILL)", .serialized)
struct CrashSafetyTests {
    struct Snapshot: Equatable {
        var alerts: [String]
        var outbox: Int
        var undelivered: Int
        var ledgerKinds: [String: Int]
        /// Every entry but chat deliveries, by kind, subject, simulated time and content (its position left out):
        /// an entry recorded later than in the uninterrupted run (a reminder a cadence late) differs here.
        var entries: [String: Int]
        var runs: [String]
    }

    /// The demo's `integration_health` control: its record of source reads is in memory by design, so its first run
    /// after a restart sees only the sources read since.
    static let inMemoryControl = "control:integrations-readable"

    static func snapshot(_ path: String) throws -> (Snapshot, LedgerVerdict) {
        let database = try BotDatabase.open(path: path)
        return try database.read { tx in
            let alerts = try tx.alerts().map { "\($0.id) \($0.control) \($0.resourceKey) #\($0.episode) \($0.state.rawValue) v\($0.version)" }
            let outbox = try tx.allOutbox()
            var kinds: [String: Int] = [:]
            var entries: [String: Int] = [:]
            // Deliveries are at-least-once: a kill between printing and recording may repeat one; all else is exact.
            try tx.ledgerRows { row in
                guard row.kind != "chat_delivery" else { return }
                kinds[row.kind, default: 0] += 1
                if row.kind == "control_run" && row.subject == Self.inMemoryControl { return }
                let content = String(decoding: row.entry, as: UTF8.self).replacingOccurrences(of: #""seq":\d+,"#, with: "", options: .regularExpression)
                entries["\(row.kind) \(row.subject ?? "-") \(row.at) \(content)", default: 0] += 1
            }
            let runs = try tx.latestRuns().map { "\($0.control) \($0.at.timeIntervalSince1970) \($0.digest)" }
            return (Snapshot(alerts: alerts, outbox: outbox.count, undelivered: outbox.filter { $0.deliveredAt == nil }.count,
                             ledgerKinds: kinds, entries: entries, runs: runs), try tx.verifyLedger())
        }
    }

    @Test func killedAtRandomPointsAndResumedItEndsExactlyLikeAnUninterruptedRun() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["demo", "--speed", "max", "--plain", "--until", "6d"]

        // The reference: one uninterrupted run.
        let reference = dir.appendingPathComponent("reference.sqlite").path
        let full = try await CLI.run(common + ["--database", reference])
        #expect(full.status == 0, "\(full.stderr)")
        let (expected, referenceVerdict) = try Self.snapshot(reference)
        #expect(referenceVerdict.isIntact)
        #expect(expected.alerts.count >= 8)
        let totalBytes = full.stdout.utf8.count

        // The same scenario, killed with SIGKILL at several points of its output, resumed each time.
        var generator = SystemRandomNumberGenerator()
        let crashed = dir.appendingPathComponent("crashed.sqlite").path
        var kills = 0
        var first = true
        for _ in 0..<6 {
            let at = Int.random(in: 1...max(2, totalBytes / 3), using: &generator)
            let result = try await CLI.run(common + ["--database", crashed] + (first ? [] : ["--resume"]), killAfterBytes: at)
            first = false
            if result.killed { kills += 1 } else { #expect(result.status == 0, "\(result.stderr)") }
            let (_, verdict) = try Self.snapshot(crashed)
            #expect(verdict.isIntact, "the chain must verify after every kill")
        }
        let last = try await CLI.run(common + ["--database", crashed, "--resume"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(kills >= 3, "the test must actually interrupt the bot")

        let (actual, verdict) = try Self.snapshot(crashed)
        #expect(verdict.isIntact)
        #expect(actual.alerts == expected.alerts)
        #expect(actual.outbox == expected.outbox)
        #expect(actual.undelivered == 0)
        #expect(actual.ledgerKinds == expected.ledgerKinds)
        let missing = expected.entries.filter { actual.entries[$0.key] != $0.value }.keys.sorted()
        #expect(missing.isEmpty, "entries not recorded as in the uninterrupted run: \(missing.prefix(5))")
        #expect(actual.runs == expected.runs)
    }
}
