import Foundation
import Testing
@testable import Core
@testable import Manifests

/// A control's criteria in other frameworks (`frameworks:`): ids must exist in the framework, near misses are suggested.
@Suite struct FrameworkValidationTests {
    @Test func aControlsFrameworksReplaceItsCheckTypesDefaults() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["frameworks": "{iso27001: [A.5.15, a.8.15], hipaa: [\"164.312(b)\"], cis: [8.2]}"])])
        #expect(fixture.problems() == [])
        let control = try #require(fixture.config()?.control("c1"))
        #expect(control.frameworkCriteria == [.iso27001: ["A.5.15", "A.8.15"], .hipaa: ["164.312(b)"], .cis: ["8.2"]])
        #expect(Framework.iso27001.criteria(of: control) == ["A.5.15", "A.8.15"])
        // Not overridden: the check type's default (audit_logging → PCI 10.2.1); SOC 2 stays `criteria:`.
        #expect(Framework.pci.criteria(of: control) == ["10.2.1"])
        #expect(Framework.soc2.criteria(of: control) == ["CC7.2"])
    }

    @Test func anIdTheFrameworkDoesNotHaveIsRefusedWithASuggestion() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["frameworks": "{iso27001: [A.5.15, A.5.99], hipa: [x]}"])])
        #expect(fixture.problems() == [
            "test.yaml:10:37: `A.5.99` is not a criterion of ISO/IEC 27001:2022 Annex A",
            "test.yaml:10:46: unknown framework `hipa` in `frameworks` of control `c1`",
        ])
        #expect(fixture.fixes() == ["did you mean `A.5.9` (Inventory of information and other associated assets)?", "did you mean `hipaa`?"])

        let far = try ManifestFixture(["test.yaml": ManifestFixture.control(["frameworks": "{pci: [PCI-DSS-8], soc2: [CC6.1]}"])])
        #expect(far.problems() == [
            "test.yaml:10:24: `PCI-DSS-8` is not a criterion of PCI DSS v4.0",
            "test.yaml:10:36: `frameworks` of control `c1` names soc2",
        ])
        #expect(far.fixes()[0] == "write an id the framework lists, e.g. `8.4.2`; docs/frameworks.md lists them")
    }

    @Test func aSOC2CriterionTheTSCDoesNotListIsRefused() throws {
        let fixture = try ManifestFixture(["test.yaml": ManifestFixture.control(["criteria": "[CC6.1, CC6.9]"])])
        #expect(fixture.problems() == ["test.yaml:4:23: `CC6.9` is not a criterion of SOC 2 (AICPA Trust Services Criteria, 2017, revised points of focus 2022)"])
        #expect(fixture.fixes() == ["did you mean `CC6.1` (Logical access security software, infrastructure and architectures)?"])
    }

    @Test func theDigestMayNameASecondFramework() throws {
        let ok = try ManifestFixture(["test.yaml": "digest: {leadership: {terminal: \"#lead\"}, also: iso27001}\n"])
        #expect(ok.problems() == [])
        #expect(ok.config()?.digest?.also == .iso27001)
        let bad = try ManifestFixture(["test.yaml": "digest: {also: iso27002}\n"])
        #expect(bad.problems() == ["test.yaml:1:16: `also`: `iso27002` is not a framework the digest can add to SOC 2"])
        #expect(bad.fixes() == ["did you mean `iso27001`?"])
    }
}
