import Chat
import Checks
import Core
import Demo
import Engine
import Foundation
import Logging
import Manifests
import Reports
import FactSources
import Store
import Testing

/// The built-in demo, end to end: the Northwind manifests and timeline, a virtual clock, a real SQLite file.
/// Asserts the story the demo tells, not merely that it ran.
@Suite("Northwind demo timeline")
struct NorthwindScenarioTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Outcome {
        let alerts: [Alert]
        let outbox: [OutboxMessage]
        let ledger: [String]
        let verdict: LedgerVerdict
        let said: [String]
        /// The exceptions report (Markdown) of each period asked for, in order.
        var reports: [String] = []
        /// The access reviews the bot's own review source reads back at the end.
        var reviews: [AccessReview] = []
        func alert(_ control: String) -> Alert? { alerts.first { $0.control.rawValue == control } }
        func dms(for id: AlertID) -> [String] {
            outbox.filter { $0.kind == .direct && $0.alert == id }.map(\.destination.address)
        }
    }

    static func play(scenario file: String = "northwind.yaml", until: TimeInterval? = nil, exceptions periods: [DateInterval] = []) async throws -> Outcome {
        let config = try ManifestLoader.load(directory: repo.appendingPathComponent("manifests/demo"), catalog: .builtIn).get()
        let scenario = try ScenarioLoader.load(file: repo.appendingPathComponent("manifests/demo/scenarios/\(file)"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("northwind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try DemoSession.openDatabase(path: dir.appendingPathComponent("demo.sqlite").path, scenarioFingerprint: "test", resume: false)
        let said = Said()
        let surface = TerminalSurface(platform: .terminal, colour: false) { _ in }
        let (session, _) = try DemoSession.make(config: config, scenario: scenario, database: database,
                                                makeClock: { VirtualClock(start: $0) }, surfaces: [surface],
                                                logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }, until: until,
                                                say: { said.append($0) })
        try await session.bot.loop.run()
        var outcome = try database.read { tx in
            var ledger: [String] = []
            try tx.ledgerRows { ledger.append(String(decoding: $0.entry, as: UTF8.self)) }
            return Outcome(alerts: try tx.alerts(), outbox: try tx.allOutbox(), ledger: ledger, verdict: try tx.verifyLedger(), said: said.lines,
                           reports: try periods.map { try ExceptionsReport.build(config: config, store: tx, period: $0).markdown })
        }
        outcome.reviews = try await ReviewSource(database: database).facts([.reviews]).reviews ?? []
        return outcome
    }

    @Test func theFortnightTellsItsStory() async throws {
        let run = try await Self.play()
        // Every alert the timeline causes, with its final state.
        let states = Dictionary(uniqueKeysWithValues: run.alerts.map { ($0.control.rawValue, $0.state) })
        #expect(states == [
            "vendor-soc2-reports": .riskAccepted,   // snoozed, re-fired, then accepted with a compensating control
            "admin-mfa": .closed,                   // MFA re-enabled, closed with remediation
            "storage-encryption": .resolved,        // snoozed, re-fired, fixed
            "branch-protection": .resolved,         // after the 2 h tolerance, restored
            "offboarding-sla": .resolved,           // the leaver's accounts removed
            "security-training": .resolved,         // two people completed
            "laptop-encryption": .resolved,
            "ssh-exposure": .resolved,
            "audit-trail": .resolved,
            "critical-vulns": .escalated,           // never fixed: breaches its SLA
        ])
        #expect(run.alerts.count == 10)
        #expect(run.verdict.isIntact)
        #expect(run.outbox.allSatisfy { $0.deliveredAt != nil })
    }

    @Test func theLeaversClockStartsAtTerminationAndTheITManagerIsToldOnlyAfterTheDeadline() async throws {
        let run = try await Self.play()
        let offboarding = try #require(run.alert("offboarding-sla"))
        let start = Date(timeIntervalSince1970: 1_772_438_400)
        // Terminated at +1h with a 24h SLA: the run at +1h tells IT, naming every live account and the deadline (+25h).
        #expect(offboarding.openedAt == start + 1 * 3_600)
        #expect(offboarding.failingSince == start + 1 * 3_600)
        #expect(offboarding.policyDeadline == start + 25 * 3_600 && offboarding.slaDeadline == start + 25 * 3_600)
        #expect(run.outbox.filter { $0.alert == offboarding.id && $0.kind == .direct }.allSatisfy { $0.createdAt >= start + 25 * 3_600 })
        let opened = try #require(run.ledger.first { $0.contains("\"kind\":\"alert_opened\"") && $0.contains("\"subject\":\"\(offboarding.id)\"") })
        #expect(opened.contains("GitHub (jsmith-nw") && opened.contains("AWS (jsmith") && opened.contains("Okta"))
        #expect(offboarding.title.contains("James Smith"))
        // Still live at the deadline: escalated to Lena, the IT manager (not before: nobody is chased while the clock runs).
        #expect(run.dms(for: offboarding.id) == ["lena"])
        // Resolved by the first run after the last account went (+32h).
        #expect(offboarding.endedAt == start + 32 * 3_600)
        #expect(run.ledger.contains { $0.contains("\"subject\":\"\(offboarding.id)\"") && $0.contains("\"action\":\"acknowledge\"") && $0.contains("\"actor\":\"sam\"") })
    }

    @Test func criticalMFAEscalatesTwiceAndIsClosedWithRemediation() async throws {
        let run = try await Self.play()
        let mfa = try #require(run.alert("admin-mfa"))
        #expect(mfa.severity == .critical)
        // Ack timeout (15 m) → the IT manager; SLA (4 h) → the security lead.
        #expect(run.dms(for: mfa.id) == ["lena", "priya"])
        #expect(mfa.remediationNote?.contains("ticket OPS-12") == true)
    }

    @Test func snoozesExpireAndReFire() async throws {
        let run = try await Self.play()
        let bucket = try #require(run.alert("storage-encryption"))
        let wake = run.ledger.filter { $0.contains("\"subject\":\"\(bucket.id)\"") && $0.contains("\"action\":\"wake\"") }
        #expect(wake.count == 1)
        let refire = run.outbox.filter { $0.alert == bucket.id && $0.kind == .update }
            .compactMap { try? StoreJSON.decode(ChatMessage.self, from: $0.payload) }.filter(\.broadcast)
        #expect(refire.count == 1)
    }

    @Test func refusalsAreAnsweredAndRecorded() async throws {
        let run = try await Self.play()
        // Kim, an engineer, may not accept risk; the refusal is evidence too.
        #expect(run.said.contains { $0.contains("Refused: only the security leads") })
        #expect(run.ledger.contains { $0.contains("\"kind\":\"human_action\"") && $0.contains("\"actor\":\"kim\"") && $0.contains("\"outcome\":\"refused\"") })
    }

    @Test func withinTheFirstFiveSimulatedDaysTheDemoShowsTheWholeLifecycle() async throws {
        // Two minutes of the interactive demo at the default speed (1 simulated hour per second).
        let run = try await Self.play(until: 120 * 3_600)
        let actions = Set(run.ledger.compactMap { entry -> String? in
            guard entry.contains("\"kind\":\"alert_transition\"") else { return nil }
            return entry.components(separatedBy: "\"action\":\"").dropFirst().first?.components(separatedBy: "\"").first
        })
        #expect(actions.isSuperset(of: ["ack_timeout", "sla_breach", "snooze", "wake", "resolve", "close", "acknowledge", "accept_risk"]))
        #expect(run.outbox.contains { $0.kind == .direct })
    }
}

/// Collects narration lines.
final class Said: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}
