import Foundation
import Checks
import Testing
@testable import Core
@testable import Manifests

/// Controls: severities, durations, criteria, check types and their parameters.
@Suite struct ControlValidationTests {
    @Test func unknownSeveritySuggestsTheClosestOne() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["severity": "hgih"])])
        #expect(fixture.problems() == ["test.yaml:6:15: unknown severity `hgih`"])
        #expect(fixture.fixes() == ["did you mean `high`?"])
    }

    @Test func badDurationsAreReported() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["cadence": "90", "sla": "0h", "tolerance": "1 month"])])
        #expect(fixture.problems() == [
            "test.yaml:7:14: `cadence`: `90` is not a positive duration",
            "test.yaml:10:10: `sla`: `0h` is not a positive duration",
            "test.yaml:11:16: `tolerance`: `1 month` is not a positive duration",
        ])
        #expect(fixture.fixes()[0] == "write a number and a unit (s, m, h, d, w), e.g. `30m`, `4h`, `7d` or `1d12h`")
    }

    @Test func zeroToleranceMeansAlertAtOnce() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["tolerance": "0", "cadence": "1d12h"])])
        let control = try #require(fixture.config()?.control("c1"))
        #expect(control.tolerance == 0)
        #expect(control.cadence == 36 * 3_600)
    }

    @Test func criteriaMustBeTrustServicesCriteria() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["criteria": "[CC6.1, SOC2, CC6]"])])
        #expect(fixture.problems() == [
            "test.yaml:4:23: `SOC2` is not a Trust Services Criterion",
            "test.yaml:4:29: `CC6` is not a Trust Services Criterion",
        ])
        let empty = try ManifestFixture(["test.yaml": ManifestFixture.control(["criteria": "[]"])])
        #expect(empty.problems() == ["test.yaml:4:15: `criteria` of control `c1` is empty"])
    }

    @Test func minFailuresAndGroupingAreChecked() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["min_failures": "0", "grouping": "per_resourse"])])
        #expect(fixture.problems() == [
            "test.yaml:10:19: `min_failures` must be a whole number from 1 to 1000",
            "test.yaml:11:15: unknown grouping `per_resourse`",
        ])
        #expect(fixture.fixes()[1] == "did you mean `per_resource`?")
        // Failing runs in a row are counted up to 1000 (`Control.minFailuresLimit`): a control may not wait for more.
        let tooMany = try ManifestFixture(["test.yaml": ManifestFixture.control(["min_failures": "1001"])])
        #expect(tooMany.problems() == ["test.yaml:10:19: `min_failures` must be a whole number from 1 to 1000"])
        #expect(try ManifestFixture(["test.yaml": ManifestFixture.control(["min_failures": "1000"])]).config()?.controls.first?.minFailures == 1000)
    }

    @Test func unknownCheckTypeListsTheKnownOnes() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: mfaa}"])])
        #expect(fixture.problems() == ["test.yaml:8:19: unknown check type `mfaa`"])
        let known = Catalog.builtIn.checkTypes.map(\.name).joined(separator: ", ")
        #expect(fixture.fixes() == ["did you mean `mfa`? known types: \(known)"])

        let far = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: magic}"])])
        #expect(far.fixes() == ["use one of the known types: \(known)"])
    }

    @Test func checkWithoutTypeIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{sources: [demo]}"])])
        #expect(fixture.problems() == ["test.yaml:8:12: `check` has no `type`"])
    }

    @Test func checkParametersAreTypedPerCatalog() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            controls:
              - id: c1
                title: Admins use MFA
                criteria: [CC6.1]
                owner: sec
                severity: critical
                cadence: 1h
                check:
                  type: mfa
                  privileged_only: maybe
                  systems: github
                  colour: red
                  sytems: [okta]
                remediation: Enrol them.
              - id: c2
                title: Ports closed
                criteria: [CC6.6]
                owner: sec
                severity: critical
                cadence: 1h
                check: {type: network_exposure, ports: [22, ssh]}
                remediation: Close them.
              - id: c3
                title: Reviews
                criteria: [CC8.1]
                owner: sec
                severity: medium
                cadence: 2h
                check: {type: branch_protection, required_reviews: two, repositories: [api, {name: web}]}
                remediation: Protect.
              - id: c4
                title: Offboarding
                criteria: [CC6.2]
                owner: sec
                severity: high
                cadence: 1h
                check: {type: offboarding, sla: 24}
                remediation: Disable.

            """])
        #expect(fixture.problems() == [
            "test.yaml:10:24: check parameter `privileged_only` must be true or false, not text",
            "test.yaml:11:16: check parameter `systems` must be a list of texts, not text",
            "test.yaml:12:7: unknown parameter `colour` for check type `mfa`",
            "test.yaml:13:7: unknown parameter `sytems` for check type `mfa`",
            "test.yaml:21:49: items of check parameter `ports` must be numbers, not text",
            "test.yaml:29:56: check parameter `required_reviews` must be a whole number, not text",
            "test.yaml:29:81: items of check parameter `repositories` must be text, not a mapping",
            "test.yaml:37:37: `sla`: `24` is not a positive duration",
        ])
        #expect(fixture.fixes()[2] == "remove it; `mfa` takes `systems`, `privileged_only`")
        #expect(fixture.fixes()[3] == "did you mean `systems`?")
    }

    @Test func checkTypeWithoutParametersSaysSo() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: audit_logging, regions: [eu-west-1]}"])])
        #expect(fixture.problems() == ["test.yaml:8:34: unknown parameter `regions` for check type `audit_logging`"])
        #expect(fixture.fixes() == ["check type `audit_logging` takes no parameters; remove it"])
    }

    @Test func requiredCheckParameterMustBePresent() throws {
        // Given a catalog whose check type requires a parameter (the shipped catalog has none yet)
        let catalog = [CheckType(name: "threshold", summary: "a test type", reads: [.accounts], parameters: [
            SettingSpec("limit", .number, required: true, help: "the most allowed"),
        ], typicalCriteria: [])]
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: threshold}"])])
        #expect(fixture.problems(checkTypes: catalog) == ["test.yaml:8:12: check type `threshold` needs parameter `limit`"])
        let given = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: threshold, limit: 3}"])])
        #expect(given.problems(checkTypes: catalog) == [])
        #expect(try given.load(checkTypes: catalog).get().control("c1")?.check?.parameters == ["limit": .number(3)])
    }

    @Test func parametersKeepTheirCatalogTypes() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control([
            "check": "{type: vulnerabilities, min_severity: high, max_age: 14d}",
        ])])
        #expect(fixture.config()?.control("c1")?.check?.parameters == ["min_severity": .string("high"), "max_age": .string("14d")])
        let ports = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: network_exposure, ports: [22, 5432]}"])])
        #expect(ports.config()?.control("c1")?.check?.parameters == ["ports": .list([.number(22), .number(5432)])])
    }
}
