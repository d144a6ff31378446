@testable import Checks
import Core
import FactSources
import Foundation
import Testing

@Suite("Training check")
struct TrainingCheckTests {
    typealias F = CheckFixture

    static func person(_ name: String, status: HRPerson.Status = .active) -> HRPerson {
        HRPerson(employeeID: name, name: name, email: "\(name)@acme.example", status: status,
                 terminatedAt: status == .terminated ? F.at(-F.day) : nil)
    }
    static func record(_ name: String, daysAgo: Double?) -> TrainingRecord {
        TrainingRecord(email: "\(name)@ACME.example", completedAt: daysAgo.map { F.at(-$0 * F.day) })
    }

    static let parameters: [String: ConfigValue] = ["valid_for": .string("365d"), "warn_before": .string("30d")]

    @Test
    func eachActivePersonIsJudgedByTheirLatestCompletion() throws {
        let facts = Facts(
            people: ["never", "unrecorded", "lapsed", "due", "current", "retrained"].map { Self.person($0) } + [Self.person("leaver", status: .terminated)],
            training: [
                Self.record("unrecorded", daysAgo: nil),
                Self.record("lapsed", daysAgo: 400),
                Self.record("due", daysAgo: 350),
                Self.record("current", daysAgo: 100),
                Self.record("retrained", daysAgo: 500), Self.record("retrained", daysAgo: 20),
            ])

        let results = try F.evaluate("training", Self.parameters, facts)

        #expect(!results.ids.contains("person:leaver@acme.example"), "terminated people are not trained")
        #expect(results.count == 6)

        let never = try results.only("person:never@acme.example")
        #expect(never.status == .fail)
        #expect(never.observed == "never completed")
        #expect(try results.only("person:unrecorded@acme.example").observed == "never completed")

        let lapsedExpiry = F.at(-400 * F.day).addingTimeInterval(365 * F.day)
        let lapsed = try results.only("person:lapsed@acme.example")
        #expect(lapsed.status == .fail)
        #expect(lapsed.observed == "lapsed on \(TimeText.human(lapsedExpiry))")
        #expect(lapsed.failingSince == lapsedExpiry.addingTimeInterval(-30 * F.day))

        let dueExpiry = F.at(-350 * F.day).addingTimeInterval(365 * F.day)
        let due = try results.only("person:due@acme.example")
        #expect(due.status == .fail, "within the warn window")
        #expect(due.observed == "due by \(TimeText.human(dueExpiry))")
        #expect(due.failingSince == dueExpiry.addingTimeInterval(-30 * F.day))

        #expect(try results.only("person:current@acme.example").status == .pass)
        #expect(try results.only("person:retrained@acme.example").status == .pass)
    }

    @Test
    func withoutWarnWindowOnlyLapsedFails() throws {
        let facts = Facts(people: [Self.person("due")], training: [Self.record("due", daysAgo: 364)])
        #expect(try F.evaluate("training", [:], facts).only("person:due@acme.example").status == .pass)
        #expect(try F.evaluate("training", [:], facts, at: F.at(F.day)).only("person:due@acme.example").status == .fail)
    }
}

@Suite("Vendor reports check")
struct VendorReportCheckTests {
    typealias F = CheckFixture

    static let periodEnd = F.at(-400 * F.day)
    static let vendors = [
        Vendor(name: "Stripe", tier: 1, reportPeriodEnd: periodEnd),
        Vendor(name: "Linear", tier: 2, reportPeriodEnd: nil),
        Vendor(name: "Datadog", tier: 1, reportPeriodEnd: F.at(-100 * F.day)),
    ]

    @Test
    func expiredReportFailsFromItsExpiry() throws {
        let result = try F.evaluate("vendor_reports", ["valid_for": .string("365d")], Facts(vendors: Self.vendors)).only("vendor:stripe")

        #expect(result.status == .fail)
        #expect(result.failingSince == Self.periodEnd.addingTimeInterval(365 * F.day))
        #expect(result.resource.name == "Stripe (Tier 1)")
    }

    @Test
    func missingReportFailsAndCurrentReportPasses() throws {
        let results = try F.evaluate("vendor_reports", [:], Facts(vendors: Self.vendors))

        let linear = try results.only("vendor:linear")
        #expect(linear.status == .fail)
        #expect(linear.observed == "no SOC 2 report on file")
        #expect(try results.only("vendor:datadog").status == .pass)
    }

    @Test
    func tiersFilterIgnoresOtherTiers() throws {
        let results = try F.evaluate("vendor_reports", ["tiers": F.numbers(1)], Facts(vendors: Self.vendors))
        #expect(results.ids == ["vendor:stripe", "vendor:datadog"])
    }

    @Test
    func longerValidityKeepsAnOldReportCurrent() throws {
        let result = try F.evaluate("vendor_reports", ["valid_for": .string("450d")], Facts(vendors: Self.vendors)).only("vendor:stripe")
        #expect(result.status == .pass)
    }
}
