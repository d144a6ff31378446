import Core
import Engine
import Foundation
import GRDB
import Reports
import Store
import Testing

/// Reports answer "as of then", from each alert's recorded history, and the views agree with one another: the
/// exceptions report, the metrics, the export's alerts.csv and the status at a moment.
@Suite("Point-in-time reports")
struct PointInTimeReportsTests {
    let t0 = EngineFixtures.t0
    let hour: TimeInterval = 3_600, day: TimeInterval = 86_400

    /// Two alerts of one control (24 h SLA), both opened at t0:
    /// - A-1 (bucket `legacy`): priya accepts the risk 2 h in, until day 10; dana closes it on day 5 — no breach.
    /// - A-2 (bucket `exports`): acknowledged, closed on day 50 — in breach from day 1 to day 50.
    func history(on database: BotDatabase? = nil) throws -> AlertEngine {
        let engine = AlertEngine(config: EngineFixtures.config(), database: try database ?? BotDatabase.inMemory())
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("legacy", .fail), EngineFixtures.result("exports", .fail)], at: t0)
        func act(_ action: AlertAction, _ id: Int64, by person: PersonID, at offset: TimeInterval) throws {
            let outcome = try engine.apply(AlertRequest(action, by: .person(person), via: .chat(.slack), at: t0 + offset), to: AlertID(id))
            guard case .changed = outcome else { throw TestError() }
        }
        try act(.acceptRisk(until: t0 + 10 * day, rationale: "legacy bucket, deleted next week"), 1, by: "priya", at: 2 * hour)
        try act(.acknowledge, 2, by: "dana", at: hour)
        try act(.close(remediation: "bucket deleted", link: "https://tickets.example/OPS-88"), 1, by: "dana", at: 5 * day)
        try act(.close(remediation: "SSE-KMS enabled", link: "https://tickets.example/OPS-90"), 2, by: "dana", at: 50 * day)
        return engine
    }

    func period(_ from: TimeInterval, _ to: TimeInterval) -> DateInterval { DateInterval(start: t0 + from, end: t0 + to) }

    func exceptions(_ engine: AlertEngine, _ period: DateInterval) throws -> ExceptionsReport {
        try engine.database.read { try ExceptionsReport.build(config: engine.config, store: $0, period: period) }
    }

    func metrics(_ engine: AlertEngine, _ period: DateInterval) throws -> AlertMetrics {
        try engine.database.read { tx in
            AlertMetrics.compute(alerts: try tx.alertFacts(touching: period), controls: engine.config.controls, ranInPeriod: [], period: period)
        }
    }

    /// alerts.csv's `sla_breached` column, by alert id.
    func exportedBreaches(_ engine: AlertEngine, _ period: DateInterval) throws -> [String: String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try EvidenceExport.export(database: engine.database, config: engine.config, from: period.start, to: period.end,
                                      exportedAt: t0 + 100 * day, directory: directory)
        let csv = try String(contentsOf: directory.appendingPathComponent("alerts.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let breached = try #require(rows.first?.firstIndex(of: "sla_breached"))
        return Dictionary(rows.dropFirst().map { ($0[0], $0[breached]) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func aRiskAcceptedBeforeTheDeadlineAndClosedDuringItIsNoBreachInAnyView() throws {
        let engine = try history()
        let first = period(0, 20 * day)

        let report = try exceptions(engine, first)
        #expect(report.breaches.flatMap(\.alerts).map(\.id) == [AlertID(2)])
        #expect(report.accepted.map(\.alert.id) == [AlertID(1)])
        #expect(try metrics(engine, first).slaBreaches == 1)
        #expect(try exportedBreaches(engine, first) == ["A-1": "no", "A-2": "yes"])
    }

    /// A-2's breach (day 1 → day 50) is an exception of each 20-day period it touches, with the part in each; a
    /// period before its deadline shows none, whatever happened later.
    @Test func aBreachIsListedInEveryPeriodItSpansAndNotBeforeItBegan() throws {
        let engine = try history()
        for (window, expected) in [(period(0, 20 * day), true), (period(20 * day, 40 * day), true), (period(40 * day, 60 * day), true),
                                   (period(60 * day, 80 * day), false), (period(0, 12 * hour), false)] {
            let report = try exceptions(engine, window)
            #expect(report.breaches.flatMap(\.alerts).contains { $0.id == AlertID(2) } == expected, "\(window)")
            #expect(try metrics(engine, window).slaBreaches == (expected ? 1 : 0), "\(window)")
            if window.start < t0 + 50 * day {
                #expect(try exportedBreaches(engine, window)["A-2"] == (expected ? "yes" : "no"), "\(window)")
            }
        }
        let middle = try exceptions(engine, period(20 * day, 40 * day)).markdown
        #expect(middle.contains("in breach \(TimeText.human(t0 + 20 * day)) → end of period in this period (20d)"), "\(middle)")
        let last = try exceptions(engine, period(40 * day, 60 * day)).markdown
        #expect(last.contains("in breach \(TimeText.human(t0 + 40 * day)) → \(TimeText.human(t0 + 50 * day)) in this period (10d)"), "\(last)")
    }

    /// `status --at` a moment mid-incident shows what was true then: both alerts open in their state of then, no
    /// breach before the deadline; on day 6, A-1 is gone (closed on day 5) and A-2 is in breach.
    @Test func statusAtAMomentShowsThatMoment() throws {
        let engine = try history()
        func status(_ offset: TimeInterval) throws -> StatusReport {
            try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: t0 + offset) }
        }

        let early = try status(3 * hour)
        #expect(early.live.map(\.id) == [AlertID(1), AlertID(2)])
        #expect(early.live.map(\.state) == [.riskAccepted, .acknowledged])
        #expect(early.breached.isEmpty, "A-2's breach began hours later")

        let later = try status(6 * day)
        #expect(later.live.map(\.id) == [AlertID(2)])
        #expect(later.breached.map(\.id) == [AlertID(2)])

        #expect(try status(51 * day).live.isEmpty)
        #expect(try status(-hour).live.isEmpty)
    }

    /// A database written before timelines were kept gets each alert's from the transitions its ledger recorded, so
    /// the old history reads as it happened (not as "accepted, then closed late").
    @Test func aDatabaseFromBeforeTimelinesGetsThemFromItsLedger() throws {
        // Given the history on a database taken back to before `v5-alert-timeline` (no column, bodies without it)
        let queue = try DatabaseQueue()
        _ = try history(on: try BotDatabase(writer: queue, path: ":memory:"))
        try queue.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v5-alert-timeline'")
            try db.execute(sql: "ALTER TABLE alert DROP COLUMN timeline")
            try db.execute(sql: "ALTER TABLE alert DROP COLUMN policy_deadline")
            try db.execute(sql: "UPDATE alert SET body = CAST(json_remove(CAST(body AS TEXT), '$.history') AS BLOB)")
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert WHERE CAST(body AS TEXT) LIKE '%history%'") == 0)
        }

        // When this build opens it
        let database = try BotDatabase(writer: queue, path: ":memory:")

        // Then A-1's acceptance and closing are where the ledger put them, and no view sees a breach in it
        let accepted = try #require(try database.read { try $0.alert(AlertID(1)) })
        #expect(accepted.history?.steps.map(\.state) == [.open, .riskAccepted, .closed])
        #expect(accepted.history?.steps.map(\.at) == [t0, t0 + 2 * hour, t0 + 5 * day])
        let facts = try database.read { try $0.alertFacts() }
        #expect(facts.map { $0.breachedSLA(in: period(0, 60 * day)) } == [false, true])
        #expect(facts[1].timeline.breaches(deadline: facts[1].slaDeadline) == [period(day, 50 * day)])
    }
}

/// `/soc2 note`: what was done is recorded on any alert — an ended one too, when the control passed before anyone
/// closed it — without changing its state.
@Suite("Remediation notes")
struct RemediationNoteTests {
    let t0 = EngineFixtures.t0

    @Test func aNoteAfterAutoResolveIsRecordedAndReported() throws {
        // Given an alert that resolved on its own when the control passed again
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("legacy", .fail)], at: t0)
        try engine.reconcile(control, results: [EngineFixtures.result("legacy", .pass)], at: t0 + 3_600)
        let resolved = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(resolved.state == .resolved)
        let commands = CommandHandler(engine: engine, clock: VirtualClock(start: t0 + 7_200))

        // When dana notes what was done, with the ticket
        let reply = try commands.handle("/soc2 note A-1 IAM user deleted, ticket OPS-88 https://tickets.example/OPS-88",
                                        from: "dana", on: .terminal, surface: .chat(.terminal))

        // Then it is recorded, the alert is unchanged, and the exceptions report and the history show it
        #expect(reply.title.hasPrefix("Noted on A-1 (resolved)"), "\(reply.title)")
        let after = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(after == resolved)
        let report = try engine.database.read {
            try ExceptionsReport.build(config: engine.config, store: $0, period: DateInterval(start: t0, end: t0 + 86_400))
        }
        #expect(report.markdown.contains("A-1 Buckets encrypted") || report.markdown.contains("- A-1"))
        #expect(report.markdown.contains("noted by dana on \(TimeText.human(t0 + 7_200)) — “IAM user deleted, ticket OPS-88” (https://tickets.example/OPS-88)"),
                "\(report.markdown)")
        let history = try commands.handle("/soc2 show A-1", from: "dana", on: .terminal, surface: .chat(.terminal))
        #expect(history.body?.contains("dana noted: IAM user deleted, ticket OPS-88 (https://tickets.example/OPS-88)") == true, "\(history.body ?? "")")
    }

    /// A note made weeks after the alert was closed without a link shows in the period it was written in, and does
    /// not rewrite the earlier period's "closed without a link" (reports tell what was true then).
    @Test func aLateNoteShowsInItsOwnPeriodAndLeavesThePastAsItWas() throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("legacy", .fail)], at: t0)
        try engine.apply(AlertRequest(.close(remediation: "bucket deleted", link: nil), by: .person("dana"), via: .chat(.slack), at: t0 + 7_200), to: AlertID(1))
        let later = CommandHandler(engine: engine, clock: VirtualClock(start: t0 + 40 * 86_400))
        _ = try later.handle("/soc2 note A-1 deletion approved in OPS-88 https://tickets.example/OPS-88", from: "dana", on: .terminal, surface: .chat(.terminal))

        func report(_ from: TimeInterval, _ to: TimeInterval) throws -> ExceptionsReport {
            try engine.database.read { try ExceptionsReport.build(config: engine.config, store: $0, period: DateInterval(start: t0 + from, end: t0 + to)) }
        }
        let first = try report(0, 86_400), fortieth = try report(30 * 86_400, 60 * 86_400)
        #expect(first.closedWithoutLink.map(\.alert.id) == [AlertID(1)], "the note came 40 days later")
        #expect(first.notes.isEmpty)
        #expect(fortieth.notes.map(\.note.alert) == [AlertID(1)])
        #expect(fortieth.markdown.contains("- A-1 Buckets encrypted: legacy: noted by dana"), "\(fortieth.markdown)")
    }

    @Test func aNoteFromSomeoneOutsideTheTeamIsRefusedAndRecorded() throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("legacy", .fail)], at: t0)
        let commands = CommandHandler(engine: engine, clock: VirtualClock(start: t0 + 60))

        let unknown = try commands.handle("/soc2 note A-1 did it", from: "mallory", on: .terminal, surface: .chat(.terminal))
        let missing = try commands.handle("/soc2 note A-9 did it", from: "dana", on: .terminal, surface: .chat(.terminal))
        let bare = try commands.handle("/soc2 note A-1", from: "dana", on: .terminal, surface: .chat(.terminal))

        #expect(unknown.title.hasPrefix("Refused"))
        #expect(missing.title.hasPrefix("Refused: There is no alert A-9"))
        #expect(bare.body?.contains("what was done") == true, "\(bare.title) \(bare.body ?? "")")
        let refusals = try engine.database.read { try $0.evidence(subject: "A-9") }
        #expect(refusals.count == 1)
    }
}

/// A check that enforces a policy's own deadline (offboarding within 24 h of termination) reports the moment the
/// policy was broken: its alert's SLA is that deadline, not a fresh one from when the alert opened, and a miss is an
/// exception of its own.
@Suite("Policy deadlines")
struct PolicyDeadlineTests {
    let terminated = EngineFixtures.t0
    let hour: TimeInterval = 3_600

    func leaver(_ status: CheckStatus) -> CheckResult {
        CheckResult(resource: ResourceRef(id: "person:j.smith@test.example", name: "J. Smith (j.smith@test.example)", kind: "person"),
                    status: status, expected: "every account disabled within 24h of termination",
                    observed: status == .pass ? "no active accounts" : "still active in github (jsmith)",
                    failingSince: status == .pass ? nil : terminated + 24 * hour,
                    policyDeadline: status == .pass ? nil : terminated + 24 * hour)
    }

    @Test func accessRemovedFortyHoursAfterTerminationIsAPolicyException() throws {
        // Given a leaver whose access the bot first sees failing 30 h after termination, removed at 40 h
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [leaver(.fail)], at: terminated + 30 * hour)
        try engine.reconcile(control, results: [leaver(.pass)], at: terminated + 40 * hour)

        // Then the alert's SLA was the policy deadline, and the miss is listed and counted apart from SLA breaches
        let alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.slaDeadline == terminated + 24 * hour)
        #expect(alert.policyDeadline == terminated + 24 * hour)
        let week = DateInterval(start: terminated, duration: 7 * 86_400)
        let (report, metrics) = try engine.database.read { tx in
            (try ExceptionsReport.build(config: engine.config, store: tx, period: week),
             AlertMetrics.compute(alerts: try tx.alertFacts(touching: week), controls: engine.config.controls, ranInPeriod: [], period: week))
        }
        #expect(report.policyMisses.flatMap(\.alerts).map(\.id) == [AlertID(1)])
        #expect(report.breaches.isEmpty)
        #expect(metrics.policyBreaches == 1 && metrics.slaBreaches == 0)
        #expect(report.markdown.contains("missing the policy: every account disabled within 24h of termination"), "\(report.markdown)")
        #expect(report.markdown.contains("J. Smith (j.smith@test.example) — policy deadline \(TimeText.human(terminated + 24 * hour)); met 16h after the deadline"),
                "\(report.markdown)")
        #expect(metrics.summary.contains("1 policy deadline missed"))
    }
}
