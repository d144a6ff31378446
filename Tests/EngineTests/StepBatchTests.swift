import Checks
import Core
import Engine
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// A scheduler step records its control runs in one transaction, each in a savepoint of its own: one control whose
/// record fails loses only itself, never the step's other runs, alerts or evidence.
@Suite("Scheduler step batch")
struct StepBatchTests {
    let t0 = EngineFixtures.t0

    @Test func aControlWhoseRecordFailsIsRolledBackAloneAndTheOtherRunsAreKept() async throws {
        // Given two controls over the same unencrypted bucket, both due now; the first has a live alert whose row is damaged
        var config = EngineFixtures.config()
        var second = config.controls[0]
        second.id = "bucket-encryption-copy"
        config.controls.append(second)
        let first = config.controls[0]
        let engine = AlertEngine(config: config, database: try BotDatabase.inMemory())
        try engine.reconcile(first, results: [EngineFixtures.result("s3:exports", .fail)], at: t0 - 7_200)
        try await engine.database.writer.write { db in
            try db.execute(sql: "UPDATE alert SET body = x'7b' WHERE control_id = ?", arguments: [first.id.rawValue])
        }
        let entriesBefore = try engine.database.read { try $0.ledgerHead()?.seq } ?? 0
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: [StaticBuckets()]), start: t0,
                                         logger: EngineFixtures.logger)
        #expect(scheduler.plan.due(at: t0, lastRuns: try engine.database.read { try $0.lastRuns() }, start: t0).map(\.id) == [first.id, second.id])

        // When the step runs, the first control first: it does not throw — one damaged control must not stop the step's
        // deliveries and escalations, nor the bot
        let summaries = try await scheduler.runDue(at: t0)
        #expect(summaries.map(\.control) == [first.id, second.id])
        #expect(summaries[0].errors == 1 && summaries[0].errorMessages.first?.hasPrefix("the run's results could not be recorded") == true)

        // Then the second control's run, its alert and their evidence are recorded; of the first's, only an error run (so it
        // is in the ledger and not due again before its cadence), nothing of its results
        let lastRuns = try engine.database.read { try $0.lastRuns() }
        #expect(lastRuns == [first.id: t0, second.id: t0])
        #expect(scheduler.plan.due(at: t0 + 60, lastRuns: lastRuns, start: t0).isEmpty)
        let opened = try engine.database.read { try $0.liveAlerts(control: second.id) }
        #expect(opened.values.map(\.resourceKey) == ["s3:exports"])
        let subjects = try await engine.database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT kind || ' ' || IFNULL(subject, '') FROM ledger WHERE seq > ? ORDER BY seq", arguments: [entriesBefore])
        }
        #expect(subjects == ["control_run control:\(first.id)", "control_run control:\(second.id)", "alert_opened \(opened.values.first?.id.description ?? "?")"])
        let errorRun = try await engine.database.writer.read { db in
            try String.fetchOne(db, sql: "SELECT CAST(entry AS TEXT) FROM ledger WHERE seq = ?", arguments: [entriesBefore + 1])
        }
        #expect(errorRun?.contains("could not be recorded") == true)
        #expect(try engine.database.read { try $0.verifyLedger() }.isIntact)
    }

    @Test func aStepOfSeveralControlsIsOneCommit() async throws {
        // Given two controls due now
        var config = EngineFixtures.config()
        var second = config.controls[0]
        second.id = "bucket-encryption-copy"
        config.controls.append(second)
        let queue = try DatabaseQueue()
        let engine = AlertEngine(config: config, database: try BotDatabase(writer: queue, path: ":memory:"))
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: [StaticBuckets()]), start: t0,
                                         logger: EngineFixtures.logger)
        let commits = CommitCounter()
        queue.add(transactionObserver: commits, extent: .observerLifetime)

        // When the step runs
        let summaries = try await scheduler.runDue(at: t0)

        // Then both runs (and their alerts) landed in one transaction
        #expect(summaries.map(\.control) == [config.controls[0].id, second.id])
        #expect(summaries.map(\.opened.count) == [1, 1])
        #expect(commits.count == 1)
    }

    /// A step keeps the tracks and live alerts it left for the next one; whatever is written in between — through this
    /// process or through another handle of the file (another process) — is read again by the next step.
    @Test(arguments: [false, true])
    func whatIsWrittenBetweenTwoStepsIsSeenByTheNext(throughAnotherHandle: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let config = EngineFixtures.config()
            let path = dir.appendingPathComponent("bot.sqlite").path
            let engine = AlertEngine(config: config, database: try BotDatabase.open(path: path))
            let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: [StaticBuckets()]), start: t0,
                                             logger: EngineFixtures.logger)
            // Given an alert opened by one step, and a second step that changed nothing (the bucket still fails)
            let first = try await scheduler.run(config.controls, at: t0)
            #expect(first[0].opened.count == 1)
            #expect(try await scheduler.run(config.controls, at: t0 + 3_600)[0].opened.isEmpty)

            // When the alert is closed between two steps
            let other = throughAnotherHandle ? AlertEngine(config: config, database: try BotDatabase.open(path: path)) : engine
            let outcome = try other.apply(AlertRequest(.close(remediation: "encrypted with the bucket key", link: nil), by: .system("test"),
                                                       via: .system, at: t0 + 3_700), to: first[0].opened[0])
            guard case .changed = outcome else {
                Issue.record("the alert was not closed: \(outcome)")
                return
            }

            // Then the next step sees it closed: the bucket still fails, so it opens a new alert
            let third = try await scheduler.run(config.controls, at: t0 + 7_200)
            #expect(third[0].opened.count == 1 && third[0].opened != first[0].opened)
            #expect(try engine.database.read { try $0.liveAlerts(control: config.controls[0].id) }.count == 1)
        }
    }
}

/// Counts the commits of the transactions that changed something.
private final class CommitCounter: TransactionObserver, @unchecked Sendable {
    var count = 0
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count += 1 }
    func databaseDidRollback(_ db: Database) {}
}
