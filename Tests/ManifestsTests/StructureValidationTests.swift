import Foundation
import Testing
@testable import Manifests

/// Keys, required fields, types, ids and keys that may appear once: each problem at its node.
@Suite struct StructureValidationTests {
    @Test func unknownKeySuggestsTheClosestOne() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["severity": "high", "severtiy": "high"])
            .replacingOccurrences(of: "    severity: high\n", with: "")])
        // The misspelt key is reported where it is, and the control misses the real one.
        #expect(fixture.problems() == [
            "test.yaml:2:5: control `c1` has no `severity`",
            "test.yaml:9:5: unknown key `severtiy`",
        ])
        #expect(fixture.fixes() == ["add `severity: high`", "did you mean `severity`?"])
        #expect(fixture.problemValues()[1].description.hasSuffix("test.yaml:9:5: unknown key `severtiy` — did you mean `severity`?"))
    }

    @Test func unknownKeyFarFromEveryKnownOneListsTheAllowedKeys() throws {
        let fixture = try ManifestFixture(["test.yaml": "widgets: []\n"])
        #expect(fixture.problems() == ["test.yaml:1:1: unknown key `widgets`"])
        #expect(fixture.fixes().first?.hasPrefix("remove it; allowed here: `organisation`, `security_leads`, `people`") == true)
    }

    @Test func unknownKeysAreReportedAtEveryLevel() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - {id: pat, name: Pat, email: pat@test.example, teem: sec}
            teams:
              - {id: ops, name: Ops, channels: {defualt: {terminal: "#ops"}, default: {terminal: "#ops"}}}
            routing: {defaults: {slack: C1}}
            escalation: {max_snoze: 2d}
            sources:
              - {id: gh, kind: github, credentials: {token: GH_TOKEN}, setings: {}}
            controls:
              - id: c2
                title: Manual
                criteria: [CC6.3]
                owner: sec
                severity: low
                cadence: 90d
                manual: {evidense: Signed review}
                remediation: Review.

            """])
        #expect(fixture.problems() == [
            "test.yaml:2:51: unknown key `teem`",
            "test.yaml:4:37: unknown key `defualt`",
            "test.yaml:5:11: unknown key `defaults`",
            "test.yaml:6:14: unknown key `max_snoze`",
            "test.yaml:8:5: source `gh` of kind `github` needs setting `organization`",
            "test.yaml:8:60: unknown key `setings`",
            "test.yaml:16:13: `manual` of control `c2` has no `evidence`",
            "test.yaml:16:14: unknown key `evidense`",
        ])
        #expect(fixture.fixes() == [
            "did you mean `team`?", "did you mean `default`?", "did you mean `default`?", "did you mean `max_snooze`?",
            "add `organization:` under `settings` — the organization's login", "did you mean `settings`?", "add `evidence: <what the owner records>`", "did you mean `evidence`?",
        ])
    }

    @Test func missingRequiredControlFieldsAreEachReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "controls:\n  - id: bare\n    check: {type: audit_logging}\n"])
        #expect(fixture.problems() == [
            "test.yaml:2:5: control `bare` has no `title`",
            "test.yaml:2:5: control `bare` has no `criteria`",
            "test.yaml:2:5: control `bare` has no `owner`",
            "test.yaml:2:5: control `bare` has no `severity`",
            "test.yaml:2:5: control `bare` has no `cadence`",
            "test.yaml:2:5: control `bare` has no `remediation`",
        ])
    }

    @Test func missingRequiredPersonTeamAndSourceFieldsAreReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - id: pat
                name:
            teams:
              - name: Ops
                channels: {default: {terminal: "#ops"}}
            sources:
              - id: hr

            """])
        #expect(fixture.problems() == [
            "test.yaml:2:5: person `pat` has no `email`",
            "test.yaml:3:5: `name` of person `pat` is empty",
            "test.yaml:5:5: a team has no `id`",
            "test.yaml:8:5: source `hr` has no `kind`",
        ])
    }

    @Test func controlNeedsExactlyOneOfCheckOrManual() throws {
        let both = try ManifestFixture(["test.yaml": ManifestFixture.control(["manual": "{evidence: Screenshot}"])])
        #expect(both.problems() == ["test.yaml:10:5: control `c1` has both `check` and `manual`"])
        let neither = try ManifestFixture(["test.yaml": ManifestFixture.control()
            .replacingOccurrences(of: "    check: {type: audit_logging}\n", with: "")])
        #expect(neither.problems() == ["test.yaml:2:5: control `c1` has neither `check` nor `manual`"])
    }

    @Test func wrongTypesAreReportedAtTheValue() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - id: pat
                name: [Pat, Smith]
                email: pat@test.example
                chat: U123
            teams: sec
            security_leads: lead

            """])
        #expect(fixture.problems() == [
            "test.yaml:3:11: `name` must be text, not a list",
            "test.yaml:5:11: `chat` must be a mapping of chat platform to id, not text",
            "test.yaml:6:8: `teams` must be a list, not text",
            "test.yaml:7:17: `security_leads` must be a list, not text",
        ])
    }

    @Test func duplicateIdsPointAtTheSecondAndMentionTheFirst() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - {id: lead, name: Lee Again, email: lee2@test.example}
            sources:
              - {id: demo, kind: demo}

            """ + ManifestFixture.control()
                + ManifestFixture.control().replacingOccurrences(of: "controls:\n", with: "")])
        #expect(fixture.problems() == [
            "test.yaml:2:10: duplicate person id `lead`; first declared at base.yaml:4",
            "test.yaml:4:10: duplicate source id `demo`; first declared at base.yaml:8",
            "test.yaml:14:9: duplicate control id `c1`; first declared at test.yaml:6",
        ])
    }

    @Test func singleKeysSetTwiceArePointedAtTheSecond() throws {
        let fixture = try ManifestFixture([
            "a.yaml": "routing:\n  default: {slack: C1}\n",
            "test.yaml": "organisation: Again Co\nrouting: {default: {slack: C2}}\nescalation: {}\n",
            "z.yaml": "escalation: {max_snooze: 1d}\n",
        ])
        #expect(fixture.problems() == [
            "test.yaml:1:1: `organisation` is set again; it was first set at base.yaml:1",
            "test.yaml:2:1: `routing` is set again; it was first set at a.yaml:1",
            "z.yaml:1:1: `escalation` is set again; it was first set at test.yaml:3",
        ])
    }

    @Test func noOrganisationAndNoSecurityLeadsAreReported() throws {
        let fixture = try ManifestFixture(["test.yaml": "people: []\n"], base: false)
        #expect(fixture.problems() == [
            "test.yaml:1:1: no manifest sets `organisation`",
            "test.yaml:1:1: no `security_leads`: nobody may accept risks and the top escalation level reaches no one",
        ])
    }

    @Test func malformedOrganisationIsReportedOnceNotAlsoAsMissing() throws {
        let fixture = try ManifestFixture(["test.yaml": "organisation: [Test, Co]\nsecurity_leads: [lead]\npeople: [{id: lead, name: Lee, email: lee@test.example}]\n"], base: false)
        #expect(fixture.problems() == ["test.yaml:1:15: `organisation` must be text, not a list"])
    }

    @Test func idsMustBeTypableInChatCommands() throws {
        let fixture = try ManifestFixture(["test.yaml": "teams:\n  - {id: Dev Ops, name: DevOps, channels: {default: {slack: C1}}}\n"])
        #expect(fixture.problems() == [
            "test.yaml:2:10: id `Dev Ops` may only contain letters, digits, `.`, `_` and `-`, starting with a letter or digit",
        ])
        #expect(fixture.fixes() == ["rename it, e.g. `dev-ops`, so it can be typed in chat commands"])
    }
}
