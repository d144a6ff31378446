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
}
