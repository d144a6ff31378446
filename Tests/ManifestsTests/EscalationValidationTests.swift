import Foundation
import Testing
@testable import Core
@testable import Manifests

/// The escalation policy: severities, positive durations and known levels.
@Suite struct EscalationValidationTests {
    @Test func badEscalationValuesAreEachReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            escalation:
              ack_timeout: {critical: 30m, urgent: 1h}
              sla: {high: 1 day}
              max_snooze: 0d
              max_risk_acceptance: forever
              levels: [team_channel, team_manger, everyone]

            """])
        #expect(fixture.problems() == [
            "test.yaml:2:32: unknown key `urgent`",
            "test.yaml:3:15: `sla.high`: `1 day` is not a positive duration",
            "test.yaml:4:15: `max_snooze`: `0d` is not a positive duration",
            "test.yaml:5:24: `max_risk_acceptance`: `forever` is not a positive duration",
            "test.yaml:6:26: unknown escalation level `team_manger`",
            "test.yaml:6:39: unknown escalation level `everyone`",
        ])
        #expect(fixture.fixes()[4] == "did you mean `team_manager`?")
        #expect(fixture.fixes()[5] == "use `team_channel`, `team_manager`, `security_leads`")
    }

    @Test func emptyLevelsAreReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "escalation:\n  levels: []\n"])
        #expect(fixture.problems() == ["test.yaml:2:11: `levels` is empty: alerts would never be posted or escalated"])
    }

    @Test func partialEscalationKeepsTheStandardForTheRest() throws {
        let fixture = try ManifestFixture(["test.yaml": "escalation:\n  sla: {critical: 2h}\n  max_risk_acceptance: 90d\n"])
        let policy = try #require(fixture.config()?.policy)
        let expectedSLA: [Severity: TimeInterval] = [.critical: 7_200, .high: 86_400, .medium: 604_800, .low: 2_592_000]
        #expect(policy.sla == expectedSLA)
        #expect(policy.ackTimeout == EscalationPolicy.standard.ackTimeout)
        #expect(policy.maxRiskAcceptance == 90 * 86_400)
        #expect(policy.maxSnooze == EscalationPolicy.standard.maxSnooze)
        #expect(policy.levels == EscalationPolicy.standard.levels)
    }
}
