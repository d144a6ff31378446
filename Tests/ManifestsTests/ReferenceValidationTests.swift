import Chat
import Foundation
import Testing
@testable import Manifests

/// Ids that must name a declared person, team or source; and where each team's alerts go.
@Suite struct ReferenceValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var field: String
        var yaml: String
        var problem: String
        var fix: String
        var testDescription: String { field }
    }

    static let cases: [Case] = [
        Case(field: "control owner", yaml: ManifestFixture.control(["owner": "secc"]),
             problem: "test.yaml:5:12: `owner` names unknown team `secc`", fix: "did you mean `sec`?"),
        Case(field: "person team", yaml: "people:\n  - {id: pat, name: Pat, email: pat@test.example, team: finance}\n",
             problem: "test.yaml:2:57: `team` names unknown team `finance`",
             fix: "declare a team with id `finance` under `teams`, or correct the id"),
        Case(field: "person manager", yaml: "people:\n  - id: pat\n    name: Pat\n    email: pat@test.example\n    manager: leed\n",
             problem: "test.yaml:5:14: `manager` names unknown person `leed`", fix: "did you mean `lead`?"),
        Case(field: "security leads", yaml: "security_leads: [lead, ghost]\n",
             problem: "test.yaml:1:24: `security_leads` names unknown person `ghost`",
             fix: "declare a person with id `ghost` under `people`, or correct the id"),
        Case(field: "team manager", yaml: "teams:\n  - id: ops\n    name: Ops\n    manager: nobody\n    channels: {default: {slack: C1}}\n",
             problem: "test.yaml:4:14: `manager` names unknown person `nobody`",
             fix: "declare a person with id `nobody` under `people`, or correct the id"),
        Case(field: "escalation contacts",
             yaml: "teams:\n  - id: ops\n    name: Ops\n    channels: {default: {slack: C1}}\n    escalation_contacts: [lead, lea]\n",
             problem: "test.yaml:5:33: `escalation_contacts` names unknown person `lea`", fix: "did you mean `lead`?"),
        Case(field: "security admins",
             yaml: "teams:\n  - id: ops\n    name: Ops\n    channels: {default: {slack: C1}}\n    security_admins: [omar]\n",
             problem: "test.yaml:5:23: `security_admins` names unknown person `omar`",
             fix: "declare a person with id `omar` under `people`, or correct the id"),
        Case(field: "check sources", yaml: ManifestFixture.control(["check": "{type: audit_logging, sources: [demo, aws]}"]),
             problem: "test.yaml:8:50: `check.sources` names unknown source `aws`",
             fix: "declare a source with id `aws` under `sources`, or correct the id"),
    ]

    @Test(arguments: cases)
    func unknownReferenceIsReportedAtTheId(_ testCase: Case) throws {
        let fixture = try ManifestFixture(["test.yaml": testCase.yaml])
        #expect(fixture.problems() == [testCase.problem])
        #expect(fixture.fixes() == [testCase.fix])
    }

    @Test func personWhoIsTheirOwnManagerIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "people:\n  - id: pat\n    name: Pat\n    email: pat@test.example\n    manager: pat\n"])
        #expect(fixture.problems() == ["test.yaml:5:14: person `pat` is their own manager"])
    }

    @Test func emailWithoutDomainIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "people:\n  - id: pat\n    name: Pat\n    email: pat\n"])
        #expect(fixture.problems() == ["test.yaml:4:12: `pat` is not an email address"])
    }

    @Test func teamWithoutAnyChannelNeedsARoutingDefault() throws {
        let fixture = try ManifestFixture(["test.yaml": "teams:\n  - {id: ops, name: Ops}\n"])
        #expect(fixture.problems() == [
            "test.yaml:2:5: team `ops` has no channel and `routing.default` is not set, so its alerts would go nowhere",
        ])
    }

    @Test func teamWithOnlyACriticalChannelNamesTheUncoveredSeverities() throws {
        let fixture = try ManifestFixture(["test.yaml": "teams:\n  - {id: ops, name: Ops, channels: {critical: {slack: C1}}}\n"])
        #expect(fixture.problems() == [
            "test.yaml:2:5: team `ops` has no channel for severity high, medium, low and `routing.default` is not set, so its alerts would go nowhere",
        ])
    }

    @Test func routingDefaultCatchesTeamsWithoutChannels() throws {
        let fixture = try ManifestFixture(["test.yaml": "teams:\n  - {id: ops, name: Ops}\nrouting:\n  default: {terminal: \"#security\"}\n"])
        #expect(fixture.problems() == [])
        #expect(fixture.config()?.defaultChannels == [.terminal: "#security"])
    }

    @Test func unknownChatPlatformIsReportedInChatAndChannels() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - {id: pat, name: Pat, email: pat@test.example, chat: {slak: U1, teams: pat}}
            teams:
              - {id: ops, name: Ops, channels: {default: {matrx: "!ops:test.example", slack: C1}}}

            """])
        #expect(fixture.problems() == [
            "test.yaml:2:58: unknown chat platform `slak` in `chat`",
            "test.yaml:2:68: unknown chat platform `teams` in `chat`",
            "test.yaml:4:47: unknown chat platform `matrx` in `channels.default`",
        ])
        #expect(fixture.fixes() == ["did you mean `slack`?", "use `slack`, `matrix`, `terminal`", "did you mean `matrix`?"])
    }

    @Test func unknownSeverityInChannelsIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "teams:\n  - id: ops\n    name: Ops\n    channels:\n      default: {slack: C1}\n      urgent: {slack: C2}\n"])
        #expect(fixture.problems() == ["test.yaml:6:7: unknown key `urgent`"])
        #expect(fixture.fixes() == ["remove it; allowed here: `default`, `critical`, `high`, `medium`, `low`"])
    }
}
