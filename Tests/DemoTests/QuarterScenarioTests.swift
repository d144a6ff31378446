import Core
import FactSources
import Foundation
import Testing

/// A quarter of the audit window (manifests/demo/scenarios/northwind-quarter.yaml) played through the real loop, and the
/// exceptions report an auditor would sample — the quarter and each of its months — compared with the one checked in
/// beside the scenario. Set `SOC2BOT_UPDATE_EXPECTED=1` to rewrite that file after a deliberate change, then read the diff.
@Suite("Northwind quarter: the exceptions an auditor samples")
struct QuarterScenarioTests {
    static func utc(_ text: String) -> Date { TimeText.parse(text)! }
    static let periods = [
        DateInterval(start: utc("2026-04-01T00:00:00Z"), end: utc("2026-07-01T00:00:00Z")),
        DateInterval(start: utc("2026-04-01T00:00:00Z"), end: utc("2026-05-01T00:00:00Z")),
        DateInterval(start: utc("2026-05-01T00:00:00Z"), end: utc("2026-06-01T00:00:00Z")),
        DateInterval(start: utc("2026-06-01T00:00:00Z"), end: utc("2026-07-01T00:00:00Z")),
    ]
    static let expectedFile = NorthwindScenarioTests.repo.appendingPathComponent("manifests/demo/scenarios/northwind-quarter.exceptions.md")

    @Test func theQuarterProducesTheCheckedInExceptionsReport() async throws {
        let run = try await NorthwindScenarioTests.play(scenario: "northwind-quarter.yaml", exceptions: Self.periods)
        #expect(run.verdict.isIntact)
        let text = run.reports.joined(separator: "\n---\n\n")
        if ProcessInfo.processInfo.environment["SOC2BOT_UPDATE_EXPECTED"] == "1" {
            try text.write(to: Self.expectedFile, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.expectedFile, encoding: .utf8)
        #expect(text == expected)

        let (quarter, april, may, june) = (run.reports[0], run.reports[1], run.reports[2], run.reports[3])
        // The leaver's AWS user went 40 h after termination: the 24 h policy was broken, apart from any alert SLA.
        let offboarding = try #require(run.alert("offboarding-sla"))
        #expect(offboarding.policyDeadline == Self.utc("2026-04-04T09:00:00Z"))
        #expect(quarter.contains("met 16h after the deadline") && april.contains("James Smith"))
        // Jon's assignment due 30 April, completed 3 May: a training policy miss in April's report, met in May.
        #expect(april.contains("Jon Park") && quarter.contains("Jon Park"))
        // PayFlow lapsed 31 May and was renewed 23 June: a deviation in May *and* in June, each with its own part.
        let vendor = try #require(run.alert("vendor-soc2-reports"))
        #expect(vendor.policyDeadline == Self.utc("2026-05-31T00:00:00Z"))
        #expect(!april.contains("PayFlow") && may.contains("PayFlow") && june.contains("PayFlow"))
        // Its owner was reminded a month before it lapsed (1 May), and her manager a week before (24 May).
        let reminders = run.outbox.filter { $0.kind == .direct && $0.alert == nil && String(decoding: $0.payload, as: UTF8.self).contains("PayFlow's SOC 2 report") }
        #expect(reminders.first?.destination.address == "priya" && reminders.first?.createdAt ?? .distantFuture >= Self.utc("2026-05-01T00:00:00Z"))
        #expect(reminders.contains { $0.destination.address != "priya" && $0.createdAt >= Self.utc("2026-05-24T00:00:00Z") })
        // Renewed from chat by its owner, by the register id the scenario gives it.
        #expect(vendor.resourceKey == "vendor:v-001" && vendor.endedAt == Self.utc("2026-06-23T14:00:00Z"))
        #expect(run.ledger.contains { $0.contains("\"kind\":\"vendor_renewal\"") && $0.contains("soc2-2026.pdf") && $0.contains("\"by\":\"priya\"") })
        // The bucket risk was accepted before its deadline and fixed during the acceptance: an accepted risk, not a breach.
        let bucket = try #require(run.alert("storage-encryption"))
        #expect(bucket.state == .resolved)
        let aprilBreaches = april.components(separatedBy: "## Accepted risks")[0]
        #expect(!aprilBreaches.contains(bucket.title) && april.components(separatedBy: "## Accepted risks")[1].contains(bucket.id.description))
        // MFA turned off at 09:47 by CloudTrail's account, seen at the 10:00 run: the failure is dated from the change.
        let mfa = try #require(run.alert("admin-mfa"))
        #expect(mfa.failingSince == Self.utc("2026-04-10T09:47:00Z"))
        // The SSH exposure resolved by itself; the note written afterwards is the evidence of what was done.
        let ssh = try #require(run.alert("ssh-exposure"))
        #expect(ssh.state == .resolved && may.contains("OPS-88"))
        // Closed without a link in June.
        #expect(june.components(separatedBy: "## Alerts closed without a link to the remediation")[1].contains("protection restored after the hotfix"))
        // The access review certified before the quarter is read back with its own date.
        #expect(run.reviews == [AccessReview(system: "GitHub", certifiedBy: "priya", certifiedAt: Self.utc("2026-03-02T08:00:00Z"),
                                             note: "Q1 review: 2 leavers removed")])
    }
}
