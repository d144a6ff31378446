import Foundation
import Testing
@testable import Core

/// The frameworks' criteria and the default mapping of the check types to them.
@Suite struct FrameworkTests {
    @Test func isoAnnexAHasItsNinetyThreeControls() {
        let ids = Framework.iso27001.criteria.map(\.id)
        #expect(ids.count == 93)
        #expect(Set(ids).count == 93)
        #expect(ids.filter { $0.hasPrefix("A.5.") }.count == 37)
        #expect(ids.filter { $0.hasPrefix("A.6.") }.count == 8)
        #expect(ids.filter { $0.hasPrefix("A.7.") }.count == 14)
        #expect(ids.filter { $0.hasPrefix("A.8.") }.count == 34)
        #expect(ids.first == "A.5.1" && ids.last == "A.8.34")
    }

    @Test func idsAreFoundAsAuditorsWriteThem() {
        #expect(Framework.iso27001.criterion("a.5.18")?.id == "A.5.18")
        #expect(Framework.iso27001.criterion("8.2")?.title == "Privileged access rights")
        #expect(Framework.hipaa.criterion("§ 164.308(a)(1)(ii)(D)")?.title == "Information system activity review")
        #expect(Framework.hipaa.criterion("164.308(A)(1)(II)(D)")?.id == "164.308(a)(1)(ii)(D)")
        #expect(Framework.pci.criterion("8.4.2") != nil)
        #expect(Framework.cis.criterion("6.5")?.title == "Require MFA for administrative access")
        #expect(Framework.iso27001.criterion("A.9.2.1") == nil)   // ISO 27001:2013 numbering
        #expect(Framework(name: "ISO-27001") == .iso27001 && Framework(name: "pci_dss") == .pci && Framework(name: "nist") == nil)
    }

    /// One definition of an alert's criteria: SOC 2's are those it recorded; another framework's come from its
    /// control's override, else its check type's default; an alert whose control is gone, or a manual control, is
    /// `unmapped`, never dropped.
    @Test func anAlertsCriteriaUnderAFramework() {
        var control = Control(id: "leavers", title: "Leavers", criteria: [Criterion("CC6.2")!], owner: "it", severity: .high, cadence: 3_600,
                              check: CheckSpec(type: "offboarding"), remediation: "")
        let recorded = [Criterion("CC6.2")!, Criterion("CC6.3")!]   // what the control served when the alert opened
        #expect(Framework.soc2.criteria(ofAlert: recorded, control: control) == ["CC6.2", "CC6.3"])
        #expect(Framework.iso27001.criteria(ofAlert: recorded, control: control) == ["A.5.18", "A.6.5"])
        #expect(Framework.hipaa.criteria(ofAlert: recorded, control: control) == ["164.308(a)(3)(ii)(C)"])
        control.frameworkCriteria[.iso27001] = ["A.5.18"]
        #expect(Framework.iso27001.criteria(ofAlert: recorded, control: control) == ["A.5.18"])
        #expect(Framework.iso27001.groups(ofAlert: recorded, control: nil) == [Framework.unmapped])
        let manual = Control(id: "bcp", title: "BCP test", criteria: [Criterion("A1.3")!], owner: "it", severity: .low, cadence: 86_400 * 365,
                             check: nil, remediation: "")
        #expect(Framework.pci.groups(of: manual) == [Framework.unmapped])
        #expect(Framework.iso27001.sorted(["A.8.2", "A.5.10", "unmapped", "A.5.9"]) == ["A.5.9", "A.5.10", "A.8.2", "unmapped"])
    }
}
