import Checks
import Core
import Engine
import FactSources
import Foundation
import Logging
import Store
import Synchronization
import Testing
import TestSupport

/// A broken integration raises its own alert to the team that owns the integration-health control, instead of
/// only turning other controls' results into errors (which never alert); it resolves once the source reads again.
@Suite("Integration health")
struct IntegrationHealthTests {
    final class Flaky: FactSource {
        let id: SourceID = "aws"
        let provides: Set<FactKind> = [.buckets]
        let broken = Mutex<String?>(nil)
        func facts(_ kinds: Set<FactKind>) async throws -> Facts {
            if let reason = broken.withLock({ $0 }) { throw SourceError.unavailable(source: id, reason: reason) }
            var facts = Facts()
            facts.buckets = [Bucket(provider: "S3", name: "exports", encryption: .customerManaged, isPublic: false)]
            return facts
        }
    }

    @Test func aBrokenSourceOpensItsOwnAlertAndRecoveryResolvesIt() async throws {
        var config = EngineFixtures.config()
        config.sources = [SourceConfig(id: "aws", kind: "aws")]
        config.controls[0].check = CheckSpec(type: "storage_encryption", sources: ["aws"])
        config.controls.append(Control(id: "integrations", title: "Integrations can be read", criteria: [Criterion("CC7.2")!], owner: "infra",
                                       severity: .high, cadence: 3_600, check: CheckSpec(type: "integration_health"),
                                       remediation: "Fix the source's credentials or permissions; the alert names the error."))
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
        let source = Flaky()
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [source], surfaces: [], clock: clock,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        func live() throws -> [Alert] { try bot.engine.database.read { try $0.liveAlerts() } }

        try await bot.loop.step()
        #expect(try live().isEmpty)

        source.broken.withLock { $0 = "S3 ListBuckets: HTTP 403 AccessDenied (request id 4F2A)" }
        let brokeAt = clock.now().addingTimeInterval(3_600)
        clock.advance(by: 3_600)
        try await bot.loop.step()
        let alert = try #require(try live().first)
        #expect(try live().count == 1, "the bucket control records an error, which never alerts by itself")
        #expect(alert.control == "integrations" && alert.team == "infra" && alert.resourceKey == "source:aws")
        #expect(alert.observed.contains("HTTP 403 AccessDenied") && alert.observed.contains("last read successfully"))
        #expect(alert.failingSince == brokeAt)

        source.broken.withLock { $0 = nil }
        clock.advance(by: 3_600)
        try await bot.loop.step()
        #expect(try live().isEmpty)
    }

    /// The source monitor lives in memory: after a restart, until a control reads a source, its health is unknown.
    /// A run in that gap is an error (the alert stays open), not a pass that resolves it.
    @Test func afterARestartAnUnreadSourceKeepsItsAlertOpen() async throws {
        // Given the integration-health control first in the manifests, and an alert open on a broken source
        var config = EngineFixtures.config()
        config.sources = [SourceConfig(id: "aws", kind: "aws")]
        config.controls[0].check = CheckSpec(type: "storage_encryption", sources: ["aws"])
        config.controls.insert(Control(id: "integrations", title: "Integrations can be read", criteria: [Criterion("CC7.2")!], owner: "infra",
                                       severity: .high, cadence: 3_600, check: CheckSpec(type: "integration_health"),
                                       remediation: "Fix the source's credentials or permissions; the alert names the error."), at: 0)
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
        let database = try BotDatabase.inMemory()
        let source = Flaky()
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        func make() -> Bot { Bot.make(config: config, database: database, sources: [source], surfaces: [], clock: clock, logger: logger, start: clock.now()) }
        func live() throws -> [Alert] { try database.read { try $0.liveAlerts() } }
        source.broken.withLock { $0 = "S3 ListBuckets: HTTP 403 AccessDenied (request id 4F2A)" }
        let before = make()
        try await before.loop.step()          // integrations: aws not read yet; the bucket control reads it and fails
        clock.advance(by: 3_600)
        try await before.loop.step()          // integrations sees the failure: alert
        #expect(try live().map(\.resourceKey) == ["source:aws"])

        // When the bot restarts (a new monitor) and the integration-health control runs before anything read aws
        clock.advance(by: 3_600)
        let after = make()
        let results = await after.scheduler.runner.run(config.controls[0], at: clock.now())

        // Then the run is an error about the unread source, and the alert is still open after the step
        #expect(results.count == 1)
        #expect(results.first?.resource.id == "source:aws")
        if case .error(let reason) = results.first?.status { #expect(reason.contains("not read since the bot started")) } else {
            Issue.record("expected an error, got \(String(describing: results.first?.status))")
        }
        try await after.loop.step()
        #expect(try live().map(\.resourceKey) == ["source:aws"])
    }

    @Test func aRunWithNoSourceToJudgeIsAnError() async throws {
        // Given an integration-health control and no source configured (nothing the bot reads)
        let control = Control(id: "integrations", title: "Integrations can be read", criteria: [Criterion("CC7.2")!], owner: "infra",
                              severity: .high, cadence: 3_600, check: CheckSpec(type: "integration_health"), remediation: "Fix the source.")
        var config = EngineFixtures.config()
        config.sources = []
        let runner = ControlRunner(sources: Bot.watched([], config: config, monitor: SourceHealthMonitor(now: { Date(timeIntervalSince1970: 0) })))

        // When it runs, Then it evaluated nothing, which is an error, never a pass
        let results = await runner.run(control, at: Date(timeIntervalSince1970: 0))
        #expect(results.count == 1)
        #expect(results.allSatisfy { if case .error = $0.status { true } else { false } }, "\(results)")
    }
}
