import Core
import FactSources
import Foundation
import Testing
@testable import Checks

/// Accounts are people's by e-mail or by the logins the manifests list; the rest are reported, never skipped.
@Suite("Account matching")
struct AccountMatchingTests {
    static let now = Date(timeIntervalSince1970: 1_772_438_400)
    static let people = [
        Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra"),
        Person(id: "omar", name: "Omar", email: "omar@example.com", team: "infra"),
    ]

    static func withAliases() -> [Person] {
        var people = Self.people
        people[0].accounts = ["github": ["Dana-R"], "gitlab": ["dreyes", "dana2"]]
        return people
    }

    @Test func aliasesGiveLoginOnlyAccountsTheirPersonsEmail() {
        let aliases = AccountAliases(people: Self.withAliases())
        let accounts = aliases.resolve([
            Account(system: "GitHub", login: "dana-r", email: nil, active: true, mfaEnabled: true, privileged: false),
            Account(system: "GitLab", login: "dana2", email: "old@elsewhere.example", active: true, mfaEnabled: nil, privileged: false),
            Account(system: "GitHub", login: "stranger", email: nil, active: true, mfaEnabled: true, privileged: false),
            Account(system: "Okta", login: "dana-r", email: "dana@example.com", active: true, mfaEnabled: true, privileged: false),
        ])
        #expect(accounts.map(\.email) == ["dana@example.com", "dana@example.com", nil, "dana@example.com"])
    }

    @Test func accountsMatchingNobodyInHRFailUnlessDeclaredServiceAccounts() {
        let check = UnmatchedAccountsCheck(systems: nil, ignore: ["github:deploy-bot", "terraform"])
        var facts = Facts()
        facts.people = [HRPerson(employeeID: "1", name: "Dana", email: "Dana@Example.com", status: .active),
                        HRPerson(employeeID: "2", name: "Lee", email: "lee@example.com", status: .terminated, terminatedAt: Self.now)]
        facts.accounts = [
            Account(system: "GitHub", login: "dana-r", email: "dana@example.com", active: true, mfaEnabled: true, privileged: false),
            Account(system: "GitHub", login: "lee", email: "lee@example.com", active: true, mfaEnabled: true, privileged: false),
            Account(system: "GitHub", login: "ghost", email: nil, active: true, mfaEnabled: true, privileged: true),
            Account(system: "Okta", login: "contractor@agency.example", email: "contractor@agency.example", active: true, mfaEnabled: true, privileged: false),
            Account(system: "GitHub", login: "deploy-bot", email: nil, active: true, mfaEnabled: nil, privileged: false),
            Account(system: "AWS", login: "terraform", email: nil, active: true, mfaEnabled: nil, privileged: true),
            Account(system: "GitHub", login: "gone", email: nil, active: false, mfaEnabled: nil, privileged: false),
        ]
        let results = check.evaluate(facts, at: Self.now)
        #expect(results.map(\.resource.id) == ["github:dana-r", "github:lee", "github:ghost", "okta:contractor@agency.example"])
        #expect(results.map(\.status) == [.pass, .pass, .fail, .fail])
        #expect(results[2].observed.contains("no person in the manifests lists this login under `accounts.github`"))
        #expect(results[2].resource.name == "ghost (GitHub, admin)")
        #expect(results[3].observed == "contractor@agency.example is not in HR")
    }

    @Test func theCheckIsBuiltFromItsSpec() throws {
        let check = try CheckFactory.make(CheckSpec(type: "unmatched_accounts", parameters: ["systems": .list([.string("GitHub")]), "ignore": .list([.string("Deploy-Bot")])]))
        #expect(check.reads == [.people, .accounts])
        var facts = Facts()
        facts.people = []
        facts.accounts = [Account(system: "GitHub", login: "deploy-bot", email: nil, active: true, mfaEnabled: nil, privileged: false),
                          Account(system: "Okta", login: "x", email: nil, active: true, mfaEnabled: nil, privileged: false)]
        #expect(check.evaluate(facts, at: Self.now).isEmpty, "ignored, and Okta is not a selected system")
    }

    @Test func adminGrantsPassOnlyWhenApprovedInTheManifests() throws {
        let check = try CheckFactory.make(CheckSpec(type: "privileged_access", parameters: ["approved": .list([.string("GitHub:Dana-R"), .string("okta:dana@example.com")])]))
        var facts = Facts()
        facts.accounts = [
            Account(system: "GitHub", login: "dana-r", email: nil, active: true, mfaEnabled: true, privileged: true, roles: ["org admin"]),
            Account(system: "GitHub", login: "omar", email: nil, active: true, mfaEnabled: true, privileged: true, roles: ["org admin"]),
            Account(system: "Okta", login: "dana@example.com", email: "dana@example.com", active: true, mfaEnabled: true, privileged: true, roles: ["SUPER_ADMIN"]),
            Account(system: "Okta", login: "omar@example.com", email: "omar@example.com", active: true, mfaEnabled: true, privileged: false),
            Account(system: "AWS", login: "old-admin", email: nil, active: false, mfaEnabled: nil, privileged: true),
        ]
        let results = check.evaluate(facts, at: Self.now)
        #expect(results.map(\.resource.id) == ["github:dana-r", "github:omar", "okta:dana@example.com"])
        #expect(results.map(\.status) == [.pass, .fail, .pass])
        #expect(results[1].observed == "org admin not approved: add `github:omar` to the control's `approved` list, or remove the grant")
    }

    @Test func accessReviewsLapseAfterTheirPeriod() throws {
        let check = try CheckFactory.make(CheckSpec(type: "access_review", parameters: ["system": .string("GitHub"), "every": .string("90d")]))
        var facts = Facts()
        facts.accounts = [Account(system: "GitHub", login: "dana-r", email: nil, active: true, mfaEnabled: true, privileged: true),
                          Account(system: "GitHub", login: "omar", email: nil, active: true, mfaEnabled: true, privileged: false)]
        facts.reviews = []
        let never = check.evaluate(facts, at: Self.now)
        #expect(never.map(\.status) == [.fail])
        #expect(never[0].observed == "never certified; 2 active GitHub accounts (1 admin) to review: /soc2 certify github")
        facts.reviews = [AccessReview(system: "github", certifiedBy: "dana", certifiedAt: Self.now.addingTimeInterval(-10 * 86_400)),
                         AccessReview(system: "okta", certifiedBy: "dana", certifiedAt: Self.now)]
        #expect(check.evaluate(facts, at: Self.now).map(\.status) == [.pass])
        let later = Self.now.addingTimeInterval(81 * 86_400)
        let lapsed = check.evaluate(facts, at: later)
        #expect(lapsed.map(\.status) == [.fail])
        #expect(lapsed[0].failingSince == Self.now.addingTimeInterval(80 * 86_400))
        #expect(throws: CheckError.self) { try CheckFactory.make(CheckSpec(type: "access_review")) }
    }
}
