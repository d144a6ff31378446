import Checks
import Core
import Engine
import FactSources
import Foundation
import Logging
import Store
import Testing
import TestSupport

/// The scheduler's step: every control due at one moment shares one read per (source, fact kind), and the runs are
/// reconciled in manifest order.
@Suite("Scheduler step")
struct SchedulerStepTests {
    static func control(_ id: ControlID, _ type: String) -> Control {
        Control(id: id, title: "Control \(id)", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high, cadence: 3_600,
                check: CheckSpec(type: type), remediation: "Fix it.")
    }

    @Test
    func controlsDueTogetherReadEachSourceAndKindOnce() async throws {
        // Given four controls due at once, three reading buckets and two reading accounts, from one source
        var config = EngineFixtures.config()
        config.sources = [SourceConfig(id: "aws", kind: "aws")]
        config.controls += [Self.control("bucket-public", "storage_public_access"), Self.control("mfa", "mfa"),
                            Self.control("inactive", "inactive_accounts")]
        let clock = VirtualClock(start: EngineFixtures.t0)
        var served = Facts()
        served.accounts = [Account(system: "AWS", login: "dana", email: "dana@test.example", active: true, mfaEnabled: false, privileged: false,
                                   lastLoginAt: EngineFixtures.t0)]
        served.buckets = [Bucket(provider: "S3", name: "exports", encryption: .none, isPublic: false)]
        let source = CountingSource("aws", served)
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [source], surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())

        // When the loop takes its step
        try await bot.loop.step()

        // Then each kind was read once, and every control's run was recorded with its alerts, in manifest order
        #expect(source.reads(.buckets) == 1)
        #expect(source.reads(.accounts) == 1)
        let runs = try bot.engine.database.read { try $0.lastRuns() }
        #expect(Set(runs.keys) == Set(config.controls.map(\.id)))
        let alerts = try bot.engine.database.read { try $0.liveAlerts() }
        #expect(alerts.map(\.control) == ["bucket-encryption", "mfa"])

        // And the next step, an hour on, reads once more
        clock.advance(by: 3_600)
        try await bot.loop.step()
        #expect(source.reads(.buckets) == 2 && source.reads(.accounts) == 2)
    }
}

/// The scheduler keeps the last runs it read while no run is recorded; a run recorded by anyone else (a webhook's run,
/// `soc2bot check`, another process) is seen by its next question.
@Suite("Scheduler last runs")
struct SchedulerLastRunsTests {
    @Test
    func aRunRecordedElsewhereBetweenTwoStepsMovesTheNextDueTime() async throws {
        // Given a control run by the scheduler at t0 (due again an hour on), and asked about once more since
        let t0 = EngineFixtures.t0
        let engine = try EngineFixtures.engine()
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: [StaticBuckets()]), start: t0,
                                         logger: EngineFixtures.logger)
        try await scheduler.runDue(at: t0)
        #expect(try scheduler.nextDue() == t0 + 3_600)
        #expect(try scheduler.nextDue() == t0 + 3_600)

        // When the control's run is recorded half an hour later by another writer of the same database
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("s3:exports", .pass)], at: t0 + 1_800)

        // Then the scheduler's next due time counts from that run, and nothing is due before it
        #expect(try scheduler.nextDue() == t0 + 5_400)
        #expect(try await scheduler.runDue(at: t0 + 3_600).isEmpty)
        #expect(try await scheduler.runDue(at: t0 + 5_400).map(\.control) == [engine.config.controls[0].id])
    }
}

extension SchedulerLastRunsTests {
    @Test
    func aRunRecordedElsewhereJustBeforeAStepsWriteIsNotLostByIt() async throws {
        // Given the scheduler's last runs read after its run at t0
        let t0 = EngineFixtures.t0
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: [StaticBuckets()]), start: t0,
                                         logger: EngineFixtures.logger)
        try await scheduler.runDue(at: t0)
        #expect(try scheduler.nextDue() == t0 + 3_600)

        // When another writer records a run at t0 + 30 min, and then the scheduler runs the control (asked, not due) at t0 + 15 min
        try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .pass)], at: t0 + 1_800)
        _ = try await scheduler.runOnce(control, at: t0 + 900)

        // Then the latest run is the other writer's, and the control is next due an hour after it
        #expect(try scheduler.nextDue() == t0 + 5_400)
    }
}
