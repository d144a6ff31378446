import Chat
import Foundation
import Testing
@testable import Core
@testable import Manifests

/// The vendor register and the policies: every problem with its file:line, and a valid register loads.
@Suite struct RegisterValidationTests {
    @Test func aValidRegisterLoads() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            vendors:
              - {id: stripe, name: Stripe, tier: 1, owner: lead, report_period_end: 2026-03-31, questionnaire_due: 2026-12-01, dpa_signed: true}
            policies:
              - {id: aup, title: Acceptable use, link: "https://wiki.example/aup", owner: lead, published: 2026-01-15, teams: [sec], every: 365d}

            """])
        let config = try #require(fixture.config(), "\(fixture.problems())")
        #expect(config.vendors == [VendorEntry(id: "stripe", name: "Stripe", tier: 1, owner: "lead", reportPeriodEnd: TimeText.parse("2026-03-31"),
                                               questionnaireDue: TimeText.parse("2026-12-01"), dpaSigned: true)])
        #expect(config.policies.first?.teams == ["sec"] && config.policies.first?.grace == 30 * 86_400)
    }

    @Test func theDigestScheduleIsValidated() throws {
        let good = try ManifestFixture(["test.yaml": "digest: {weekday: friday, hour: 16, leadership: {terminal: \"#leads\"}}\n"])
        #expect(good.config()?.digest == DigestSchedule(weekday: 5, hour: 16, leadership: [.terminal: "#leads"]))
        let bad = try ManifestFixture(["test.yaml": "digest:\n  weekday: someday\n  hour: 25\n  leadership: {fax: x}\n"])
        #expect(bad.problems() == [
            "test.yaml:2:12: `weekday`: `someday` is not a day of the week",
            "test.yaml:3:9: `hour` must be 0 to 23 (UTC), not `25`",
            "test.yaml:4:16: unknown chat platform `fax` in `leadership`",
        ])
    }

    @Test func everyProblemIsReportedWithItsLine() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            vendors:
              - id: stripe
                name: Stripe
                tier: 4
                owner: nobody
                report_period_end: last spring
                dpa_signed: maybe
              - id: stripe
                name: Stripe again
                tier: 2
            policies:
              - id: aup
                title: Acceptable use
                link: wiki/aup
                teams: [nope]
              - id: irp
                title: Incident response
                published: 2026-02-01
                colour: blue

            """])
        let problems = fixture.problems()
        #expect(problems.contains("test.yaml:4:11: `tier` must be 1, 2 or 3, not `4`"))
        #expect(problems.contains { $0.hasPrefix("test.yaml:5:12: ") && $0.contains("nobody") })
        #expect(problems.contains("test.yaml:6:24: `report_period_end`: `last spring` is not a date"))
        #expect(problems.contains("test.yaml:7:17: `dpa_signed` must be true or false"))
        #expect(problems.contains { $0.hasPrefix("test.yaml:8:9: duplicate vendor id `stripe`") })
        #expect(problems.contains("test.yaml:14:11: `link` must be an http(s) address"))
        #expect(problems.contains { $0.hasPrefix("test.yaml:12:") && $0.contains("`published`") })
        #expect(problems.contains { $0 == "test.yaml:15:13: `teams` names unknown team `nope`" })
        #expect(problems.contains { $0 == "test.yaml:19:5: unknown key `colour`" })
    }
}
