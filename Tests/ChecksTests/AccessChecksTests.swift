@testable import Checks
import Core
import FactSources
import Foundation
import Testing

@Suite("Offboarding check")
struct OffboardingCheckTests {
    typealias F = CheckFixture

    static let terminatedAt = F.at(-3 * F.day)
    static let leaver = HRPerson(employeeID: "E7", name: "Jo Smith", email: "j.smith@acme.example", status: .terminated,
                                 terminatedAt: terminatedAt)
    static let stayer = HRPerson(employeeID: "E1", name: "Dana Reyes", email: "dana@acme.example", status: .active)

    static func account(_ system: String, _ login: String, email: String = "j.smith@acme.example", active: Bool = true,
                        roles: [String] = []) -> Account {
        Account(system: system, login: login, email: email, active: active, mfaEnabled: true, privileged: !roles.isEmpty, roles: roles)
    }

    @Test
    func terminatedBeyondSLAWithActiveAccountsFailsListingSystems() throws {
        // Given
        let facts = Facts(people: [Self.leaver, Self.stayer], accounts: [
            Self.account("GitHub", "jsmith", roles: ["admin"]),
            Self.account("AWS", "j.smith", email: "J.Smith@ACME.example"),
            Self.account("Okta", "jsmith", active: false),
            Self.account("GitHub", "dana", email: "dana@acme.example"),
        ])

        // When
        let results = try F.evaluate("offboarding", ["sla": .string("24h")], facts)

        // Then
        let result = try results.only("person:j.smith@acme.example")
        #expect(result.status == .fail)
        #expect(result.observed == "terminated 2026-02-22 06:13 UTC; still active in AWS (j.smith); GitHub (jsmith, admin)")
        #expect(result.failingSince == Self.terminatedAt.addingTimeInterval(F.day))
        #expect(result.expected == "every account disabled within 1d of termination")
        #expect(result.resource.name == "Jo Smith (j.smith@acme.example)")
    }

    @Test
    func terminatedWithinSLAIsANoticeAgainstThePolicyDeadline() throws {
        // Given
        let facts = Facts(people: [Self.leaver], accounts: [Self.account("GitHub", "jsmith")])

        // When
        let result = try F.evaluate("offboarding", ["sla": .string("72h")], facts, at: Self.terminatedAt.addingTimeInterval(71 * F.hour))

        // Then: the clock started at the termination; the deadline is the policy's.
        let notice = try result.only("person:j.smith@acme.example")
        #expect(notice.status == .fail)
        #expect(notice.failingSince == Self.terminatedAt && notice.policyDeadline == Self.terminatedAt.addingTimeInterval(72 * F.hour))
        #expect(notice.observed.contains("remove by") && notice.observed.contains("GitHub (jsmith"))
    }

    @Test
    func terminatedWithinSLAPassesWithoutEarlyNotice() throws {
        let facts = Facts(people: [Self.leaver], accounts: [Self.account("GitHub", "jsmith")])
        let result = try F.evaluate("offboarding", ["sla": .string("72h"), "early_notice": .bool(false)], facts,
                                    at: Self.terminatedAt.addingTimeInterval(71 * F.hour))
        #expect(try result.only("person:j.smith@acme.example").status == .pass)
    }

    @Test
    func slaDeadlineItselfFails() throws {
        // Given
        let facts = Facts(people: [Self.leaver], accounts: [Self.account("GitHub", "jsmith")])

        // When
        let result = try F.evaluate("offboarding", ["sla": .string("72h")], facts, at: Self.terminatedAt.addingTimeInterval(72 * F.hour))

        // Then
        #expect(try result.only("person:j.smith@acme.example").status == .fail)
    }

    @Test
    func allAccountsDisabledPasses() throws {
        // Given
        let facts = Facts(people: [Self.leaver], accounts: [
            Self.account("GitHub", "jsmith", active: false), Self.account("AWS", "j.smith", active: false),
        ])

        // When
        let result = try F.evaluate("offboarding", [:], facts).only("person:j.smith@acme.example")

        // Then
        #expect(result.status == .pass)
        #expect(result.observed == "no active accounts")
    }

    @Test
    func terminatedWithoutDateIsAnError() throws {
        // Given
        var leaver = Self.leaver
        leaver.terminatedAt = nil
        let facts = Facts(people: [leaver], accounts: [Self.account("GitHub", "jsmith")])

        // When
        let result = try F.evaluate("offboarding", [:], facts).only("person:j.smith@acme.example")

        // Then
        #expect(result.status.isError)
        #expect(result.status.message?.contains("j.smith@acme.example") == true)
    }

    @Test
    func activePeopleAreNotResources() throws {
        let facts = Facts(people: [Self.stayer], accounts: [Self.account("GitHub", "dana", email: "dana@acme.example")])

        #expect(try F.evaluate("offboarding", [:], facts).isEmpty)
    }

    @Test
    func systemsFilterIgnoresOtherSystems() throws {
        // Given
        let facts = Facts(people: [Self.leaver], accounts: [Self.account("AWS", "j.smith"), Self.account("GitHub", "jsmith")])

        // When
        let onlyOkta = try F.evaluate("offboarding", ["systems": F.names("okta")], facts).only("person:j.smith@acme.example")
        let onlyGitHub = try F.evaluate("offboarding", ["systems": F.names("github")], facts).only("person:j.smith@acme.example")

        // Then
        #expect(onlyOkta.status == .pass)
        #expect(onlyGitHub.status == .fail)
        #expect(onlyGitHub.observed.hasSuffix("still active in GitHub (jsmith)"))
    }
}

@Suite("MFA check")
struct MFACheckTests {
    typealias F = CheckFixture

    static let accounts = [
        Account(system: "Okta", login: "root", email: nil, active: true, mfaEnabled: false, privileged: true),
        Account(system: "Okta", login: "dana", email: nil, active: true, mfaEnabled: false, privileged: false),
        Account(system: "Okta", login: "sam", email: nil, active: true, mfaEnabled: true, privileged: false),
        Account(system: "GitHub", login: "ops-bot", email: nil, active: true, mfaEnabled: nil, privileged: true),
        Account(system: "GitHub", login: "gone", email: nil, active: false, mfaEnabled: false, privileged: true),
    ]

    @Test
    func everyActiveAccountIsJudged() throws {
        let results = try F.evaluate("mfa", [:], Facts(accounts: Self.accounts))

        #expect(results.ids == ["okta:root", "okta:dana", "okta:sam", "github:ops-bot"])
        #expect(try results.only("okta:root").status == .fail)
        #expect(try results.only("okta:dana").status == .fail)
        #expect(try results.only("okta:sam").status == .pass)
        #expect(try results.only("okta:root").resource.name == "root (Okta, admin)")
    }

    @Test
    func privilegedOnlyJudgesAdminAccounts() throws {
        let results = try F.evaluate("mfa", ["privileged_only": .bool(true)], Facts(accounts: Self.accounts))

        #expect(results.ids == ["okta:root", "github:ops-bot"])
        #expect(results[0].expected == "MFA enabled on every admin account")
    }

    @Test
    func unreportedMFAIsAnErrorNeverAPass() throws {
        let result = try F.evaluate("mfa", ["systems": F.names("GitHub")], Facts(accounts: Self.accounts)).only("github:ops-bot")

        #expect(result.status.isError)
        #expect(result.status.message == "GitHub did not report MFA for ops-bot")
    }

    @Test
    func systemsFilterIgnoresOtherSystems() throws {
        let results = try F.evaluate("mfa", ["systems": .string("okta")], Facts(accounts: Self.accounts))
        #expect(results.ids == ["okta:root", "okta:dana", "okta:sam"])
    }
}

@Suite("Inactive accounts check")
struct InactiveAccountsCheckTests {
    typealias F = CheckFixture

    static func account(_ login: String, lastLogin: Date?, active: Bool = true) -> Account {
        Account(system: "AWS", login: login, email: nil, active: active, mfaEnabled: true, privileged: false, lastLoginAt: lastLogin)
    }

    @Test
    func idleAccountFailsFromTheEndOfTheIdleWindow() throws {
        let lastLogin = F.at(-40 * F.day)
        let results = try F.evaluate("inactive_accounts", ["max_idle": .string("30d")], Facts(accounts: [
            Self.account("stale", lastLogin: lastLogin),
            Self.account("recent", lastLogin: F.at(-10 * F.day)),
            Self.account("never", lastLogin: nil),
            Self.account("disabled", lastLogin: F.at(-400 * F.day), active: false),
        ]))

        #expect(results.ids == ["aws:stale", "aws:recent", "aws:never"])
        let stale = try results.only("aws:stale")
        #expect(stale.status == .fail)
        #expect(stale.failingSince == lastLogin.addingTimeInterval(30 * F.day))
        #expect(try results.only("aws:recent").status == .pass)
        let never = try results.only("aws:never")
        #expect(never.status == .fail)
        #expect(never.observed == "never logged in")
    }

    @Test
    func defaultIdleWindowIsNinetyDays() throws {
        let facts = Facts(accounts: [Self.account("a", lastLogin: F.at(-89 * F.day)), Self.account("b", lastLogin: F.at(-91 * F.day))])
        let results = try F.evaluate("inactive_accounts", [:], facts)
        #expect(results.map(\.status) == [.pass, .fail])
    }
}
