import Foundation
import Testing
@testable import Core
@testable import Manifests

/// Input that once crashed, hung or was accepted and crashed later: alias bombs, durations and numbers beyond any
/// sensible range, YAML 1.1 base-60 integers. Each is refused at its position (reproducers in /work/shared/repro).
@Suite struct InputLimitsTests {
    /// A "billion laughs": level n is a list of two aliases of level n-1, so level 29 expands to 2^31 strings.
    static func bomb(levels: Int, indent: String) -> String {
        var lines = ["\(indent)k0: &b0 [\"lol\", \"lol\"]"]
        for n in 1..<levels { lines.append("\(indent)k\(n): &b\(n) [*b\(n - 1), *b\(n - 1)]") }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func anAliasBombInSourceSettingsIsRefusedAtTheAliasThatPassesTheLimit() throws {
        // Given repro #1: a bomb under a source's settings
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: bombsrc\n    kind: demo\n    settings:\n" + Self.bomb(levels: 30, indent: "      ")])
        // Then it is refused at the line where the expansion passes 100,000 nodes (level 14), not expanded
        let problems = fixture.problems()
        #expect(problems.count == 1, "\(problems)")
        let problem = try #require(problems.first)
        #expect(problem.hasPrefix("test.yaml:19:"), "\(problem)")
        #expect(problem.contains("too many alias expansions"))
    }

    @Test func anAliasBombUsedAsMappingKeysIsRefusedBeforeYamsHashesTheKeys() throws {
        // Yams checks keys for duplicates by hashing them: a bomb as a key would be expanded there.
        let fixture = try ManifestFixture(["test.yaml": "bombs:\n" + Self.bomb(levels: 40, indent: "  ") + "keys: {? *b39 : 1, ? *b38 : 2}\n"])
        let problems = fixture.problems()
        #expect(problems.count == 1 && problems[0].contains("too many alias expansions"), "\(problems)")
    }

    @Test func ordinaryAliasesStillWork() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            teams:
              - {id: ops, name: Ops, manager: lead, channels: {default: &sec {terminal: "#ops"}}}
              - {id: web, name: Web, manager: lead, channels: {default: *sec}}

            """])
        #expect(fixture.problems() == [])
        #expect(fixture.config()?.teams.count == 3)
    }

    @Test func durationsBeyondTwoHundredYearsAreRefused() throws {
        // Repro #8: an SLA that validate accepted and the demo then trapped on.
        let fixture = try ManifestFixture(["test.yaml": "escalation:\n  sla: {high: 9223372036854775808w}\n  max_snooze: 73001d\n"])
        #expect(fixture.problems() == [
            "test.yaml:2:15: `sla.high`: `9223372036854775808w` is out of range",
            "test.yaml:3:15: `max_snooze`: `73001d` is out of range",
        ])
        #expect(fixture.fixes().allSatisfy { $0.contains("200 years") })
    }

    @Test func numbersBeyondRangeAreRefusedWhereTheyWouldBecomeWholeNumbers() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["check": "{type: network_exposure, ports: [22, 1.0e+300]}"])
            + "sources:\n  - {id: s2, kind: okta, settings: {base_url: \"https://a.okta.com\", concurrency: .inf}}\n"])
        let problems = fixture.problems()
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("test.yaml:8:") && $0.contains("out of range") })
        #expect(problems.contains { $0.hasPrefix("test.yaml:11:") && $0.contains("out of range") })
    }

    @Test func aCadenceShorterThanAMinuteIsRefused() throws {
        // A 1 s cadence passed validation, then kept a two-hour demo at --speed max busy for over a minute.
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["cadence": "1s"])])
        #expect(fixture.problems() == ["test.yaml:7:14: `cadence` of 1s is shorter than 1m"])
        #expect(try ManifestFixture(["test.yaml": ManifestFixture.control(["cadence": "1m"])]).problems() == [])
    }

    @Test func base60IntegersThatOverflowAreRefusedNotTrapped() throws {
        // YAML 1.1 reads 1:1:…:1 as a base-60 integer, which overflows Int in Yams' own arithmetic (a trap).
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["min_failures": "1:1:1:1:1:1:1:1:1:1:1:1"])])
        #expect(fixture.problems() == ["test.yaml:10:19: `min_failures` must be a whole number from 1 to 1000"])
        let small = try ManifestFixture(["test.yaml": ManifestFixture.control(["min_failures": "1:30"])])
        #expect(small.config()?.controls.first?.minFailures == 90)
    }
}
