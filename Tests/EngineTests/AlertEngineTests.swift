import Core
import Engine
import Foundation
import Store
import Testing

@Suite("Alert engine: reconcile and actions")
struct AlertEngineTests {
    let t0 = EngineFixtures.t0

    @Test func aFailureOpensOneAlertWithEvidenceAndAPostAndRepeatsStayQuiet() throws {
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        // Given a failing bucket
        let first = try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail), EngineFixtures.result("b2", .pass)], at: t0)
        #expect(first.opened.count == 1)
        // When it keeps failing
        let second = try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail), EngineFixtures.result("b2", .pass)], at: t0 + 3_600)
        // Then nothing new is posted
        #expect(second.opened.isEmpty && second.updated.isEmpty && second.resolved.isEmpty)
        let outbox = try engine.database.read { try $0.allOutbox() }
        #expect(outbox.map(\.kind) == [.post])
        #expect(outbox[0].destination == .channel(.terminal, "#infra"))
        let kinds = try engine.database.read { tx in try tx.evidence(subject: "A-1") }.count
        #expect(kinds == 1)   // alert_opened
        #expect(try engine.database.read { try $0.verifyLedger() }.isIntact)
    }

    @Test func aPassResolvesAndARegressionOpensANewEpisode() throws {
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0)
        let pass = try engine.reconcile(control, results: [EngineFixtures.result("b1", .pass)], at: t0 + 3_600)
        #expect(pass.resolved == [AlertID(1)])
        let again = try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0 + 7_200)
        #expect(again.opened == [AlertID(2)])
        let alerts = try engine.database.read { try $0.alerts() }
        #expect(alerts.map(\.episode) == [1, 2])
        #expect(alerts.map(\.state) == [.resolved, .open])
    }

    @Test func anErrorNeverResolves() throws {
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0)
        let run = try engine.reconcile(control, results: [EngineFixtures.result("control:x", .error("503 from the API"))], at: t0 + 3_600)
        #expect(run.resolved.isEmpty && run.errors == 1)
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.state == .open)
    }

    @Test func toleranceDelaysTheAlert() throws {
        let engine = try EngineFixtures.engine(EngineFixtures.config(tolerance: 2 * 3_600))
        let control = engine.config.controls[0]
        #expect(try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0).opened.isEmpty)
        #expect(try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0 + 3_600).opened.isEmpty)
        #expect(try engine.reconcile(control, results: [EngineFixtures.result("b1", .fail)], at: t0 + 7_200).opened.count == 1)
    }

    @Test func unmappedPeopleAreRefusedAndRecorded() throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let outcome = try engine.apply(AlertRequest(.acknowledge, by: .person("mallory"), via: .chat(.slack), at: t0), to: AlertID(1))
        guard case .refused(let why) = outcome else { Issue.record("expected a refusal"); return }
        #expect(why.contains("not in the manifests"))
        let entries = try engine.database.read { try $0.evidence(subject: "A-1") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(entries.contains { $0.contains("\"kind\":\"human_action\"") && $0.contains("refused") && $0.contains("mallory") })
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.state == .open)
    }

    @Test func onlySecurityLeadsAndTeamAdminsAcceptRisk() throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let accept = AlertAction.acceptRisk(until: t0 + 86_400, rationale: "compensating control")
        #expect(try engine.apply(AlertRequest(accept, by: .person("dana"), via: .chat(.terminal), at: t0), to: AlertID(1)).isRefused)
        #expect(!(try engine.apply(AlertRequest(accept, by: .person("omar"), via: .chat(.terminal), at: t0), to: AlertID(1)).isRefused))
    }

    @Test func aRepeatedClickIsANoOpAndAStaleOneIsRefused() throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let ack = AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.slack), at: t0, expectedVersion: 1)
        guard case .changed = try engine.apply(ack, to: AlertID(1)) else { Issue.record("first click should act"); return }
        guard case .unchanged = try engine.apply(ack, to: AlertID(1)) else { Issue.record("second click should be a no-op"); return }
        let stale = AlertRequest(.escalate(note: nil), by: .person("omar"), via: .chat(.slack), at: t0, expectedVersion: 1)
        #expect(try engine.apply(stale, to: AlertID(1)).isRefused)
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.version == 2)
    }

    @Test func unknownAlertsAreRefused() throws {
        let engine = try EngineFixtures.engine()
        #expect(try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .cli, at: t0), to: AlertID(99)).isRefused)
    }
}

extension AlertEngine.ActionOutcome {
    var isRefused: Bool { if case .refused = self { true } else { false } }
}
