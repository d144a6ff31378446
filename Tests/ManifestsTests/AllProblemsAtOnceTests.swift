import Foundation
import Testing
@testable import Manifests

/// The loader never stops at the first problem: one broken file reports everything wrong with it.
@Suite struct AllProblemsAtOnceTests {
    @Test func oneBrokenFileReportsEveryProblemAtOnce() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            organisation: Again Co
            people:
              - id: pat
                name: Pat
                email: pat-at-example
                manager: pat
                chat: {slak: U1}
            controls:
              - id: c9
                title: Broken
                criteria: [CC6.1, CC99]
                owner: secuirty
                severtiy: high
                cadence: soon
                check: {type: mfa, privileged_only: "yes"}
                remediation: Fix it.
            sources:
              - id: vault
                kind: github
                credentials: {token: ghp_0123456789abcdef}
                settings: {organization: acme}

            """])
        #expect(fixture.problems() == [
            "test.yaml:1:1: `organisation` is set again; it was first set at base.yaml:1",
            "test.yaml:5:12: `pat-at-example` is not an email address",
            "test.yaml:6:14: person `pat` is their own manager",
            "test.yaml:7:12: unknown chat platform `slak` in `chat`",
            "test.yaml:9:5: control `c9` has no `severity`",
            "test.yaml:11:23: `CC99` is not a Trust Services Criterion",
            "test.yaml:12:12: `owner` names unknown team `secuirty`",
            "test.yaml:13:5: unknown key `severtiy`",
            "test.yaml:14:14: `cadence`: `soon` is not a positive duration",
            "test.yaml:15:41: check parameter `privileged_only` must be true or false, not text",
            "test.yaml:20:26: credential `token` of source `vault` does not look like an environment variable name",
        ])
    }

    @Test func problemsInSeveralFilesAreSortedByFileThenPosition() throws {
        let fixture = try ManifestFixture([
            "b.yaml": "teams:\n  - {id: ops, nme: Ops}\n",
            "a.yaml": "people:\n  - {id: pat, name: Pat, email: pat@test.example, team: nowhere}\n",
        ])
        #expect(fixture.problems() == [
            "a.yaml:2:57: `team` names unknown team `nowhere`",
            "b.yaml:2:5: team `ops` has no `name`",
            "b.yaml:2:5: team `ops` has no channel and `routing.default` is not set, so its alerts would go nowhere",
            "b.yaml:2:15: unknown key `nme`",
        ])
    }
}
