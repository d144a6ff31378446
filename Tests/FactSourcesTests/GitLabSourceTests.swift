import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

@Suite("GitLab source")
struct GitLabSourceTests {
    /// 2026-02-25 06:13:20 UTC.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    static let token = "glpat-fakeTokenValue0123"

    static func group() -> FakeGitLab.Group {
        FakeGitLab.Group(
            id: 42, fullPath: "acme/platform",
            members: [
                .init(id: 1, username: "alice", accessLevel: 50),
                .init(id: 2, username: "bob", accessLevel: 30, twoFactor: false),
                .init(id: 3, username: "carol", accessLevel: 40),
                .init(id: 4, username: "dave", accessLevel: 30, state: "blocked"),
                .init(id: 5, username: "erin", accessLevel: 20),
                .init(id: 6, username: "frank", accessLevel: 30, state: "deactivated"),
            ],
            projects: [
                .init(id: 101, path: "acme/platform/api", protectedBranches: ["main"],
                      approvalRules: [.init(name: "Backend", approvalsRequired: 2), .init(name: "Security", ruleType: "report_approver", approvalsRequired: 5)]),
                .init(id: 102, path: "acme/platform/web", protectedBranches: []),
                .init(id: 103, path: "acme/platform/tools/cli", defaultBranch: "trunk", protectedBranches: ["release/*", "tr*"],
                      approvalRules: [.init(name: "Releases only", approvalsRequired: 3, protectedBranches: ["release/*"]),
                                      .init(name: "Trunk", approvalsRequired: 1, protectedBranches: ["trunk"])]),
                .init(id: 104, path: "acme/platform/legacy", archived: true, protectedBranches: ["main"]),
                .init(id: 105, path: "acme/platform/empty", defaultBranch: nil),
            ])
    }

    static func fake(_ group: FakeGitLab.Group = group(), sendsLinkHeader: Bool = true, baseURL: String = "https://gitlab.test") -> FakeGitLab {
        FakeGitLab(group: group, token: token, baseURL: URL(string: baseURL)!, sendsLinkHeader: sendsLinkHeader, now: { now })
    }

    static func source(_ transport: any HTTPTransport, settings: [String: ConfigValue] = [:], environment: [String: String] = ["GITLAB_TOKEN": token],
                       waits: TestClock = TestClock(start: GitLabSourceTests.now, sleeping: .returnsAtOnce)) throws -> GitLabSource {
        var all: [String: ConfigValue] = ["group": .string("acme/platform"), "base_url": .string("https://gitlab.test")]
        all.merge(settings) { _, new in new }
        return try GitLabSource(config: SourceConfig(id: "gitlab", kind: "gitlab", settings: all), environment: environment,
                                transport: transport, clock: waits)
    }

    static func refusal(_ body: () async throws -> Void) async -> String? {
        do { try await body(); return nil } catch { return "\(error)" }
    }

    @Test func membersAreAccountsWithAccessLevelsAndNoTwoFactorForOrdinaryTokens() async throws {
        let fake = Self.fake()
        let accounts = try #require(try await Self.source(fake).facts([.accounts]).accounts)
        #expect(accounts == [
            Account(system: "GitLab", login: "alice", email: nil, active: true, mfaEnabled: nil, privileged: true, roles: ["owner"]),
            Account(system: "GitLab", login: "bob", email: nil, active: true, mfaEnabled: nil, privileged: false, roles: ["developer"]),
            Account(system: "GitLab", login: "carol", email: nil, active: true, mfaEnabled: nil, privileged: true, roles: ["maintainer"]),
            Account(system: "GitLab", login: "dave", email: nil, active: false, mfaEnabled: nil, privileged: false, roles: ["developer"]),
            Account(system: "GitLab", login: "erin", email: nil, active: true, mfaEnabled: nil, privileged: false, roles: ["reporter"]),
            // Deactivated is not gone: signing in again reactivates it, so it still holds access.
            Account(system: "GitLab", login: "frank", email: nil, active: true, mfaEnabled: nil, privileged: false,
                    roles: ["developer", "deactivated (signing in reactivates it)"]),
        ])
        // The full path travels as one encoded segment; five members in pages of two; one probe of /users.
        #expect(fake.paths.first == "/groups/acme%2Fplatform/members/all?per_page=100")
        #expect(fake.paths.filter { $0.hasPrefix("/groups/acme%2Fplatform/members/all") }.count == 3)
        #expect(fake.paths.filter { $0.hasPrefix("/users/") } == ["/users/1"])
    }

    @Test func anAdministratorTokenSeesTwoFactor() async throws {
        let fake = Self.fake()
        fake.update { $0.tokenIsAdmin = true }
        let accounts = try #require(try await Self.source(fake, settings: ["group": .number(42)]).facts([.accounts]).accounts)
        #expect(accounts.map(\.mfaEnabled) == [true, false, true, true, true, true])
        #expect(fake.paths.first == "/groups/42/members/all?per_page=100")
    }

    @Test func projectsReportDefaultBranchProtectionAndApprovals() async throws {
        let repositories = try #require(try await Self.source(Self.fake()).facts([.repositories]).repositories)
        #expect(repositories == [
            Repository(host: "GitLab", name: "acme/platform/api", defaultBranch: "main", protected: true, requiredReviews: 2),
            Repository(host: "GitLab", name: "acme/platform/web", defaultBranch: "main", protected: false, requiredReviews: 0),
            Repository(host: "GitLab", name: "acme/platform/tools/cli", defaultBranch: "trunk", protected: true, requiredReviews: 1),
        ])
    }

    @Test func withoutApprovalRulesTheLegacySettingCounts() async throws {
        let fake = Self.fake()
        fake.update { group in
            group.premium = false
            group.projects[0].approvalsBeforeMerge = 1
        }
        let repositories = try #require(try await Self.source(fake).facts([.repositories]).repositories)
        #expect(repositories.map(\.requiredReviews) == [1, 0, 0])
        #expect(fake.paths.contains("/projects/101/approvals"))
    }

    @Test func paginationFollowsXNextPageWithoutALinkHeader() async throws {
        let fake = Self.fake(sendsLinkHeader: false)
        #expect(try await Self.source(fake).facts([.accounts]).accounts?.map(\.login) == ["alice", "bob", "carol", "dave", "erin", "frank"])
        #expect(fake.paths.contains("/groups/acme%2Fplatform/members/all?per_page=100&page=3"))
    }

    @Test func changesShowOnTheNextRead() async throws {
        let fake = Self.fake()
        let source = try Self.source(fake)
        #expect(try await source.facts([.repositories]).repositories?.first?.protected == true)
        fake.update { group in
            group.projects[0].protectedBranches = []
            group.members.removeAll { $0.username == "bob" }
        }
        let facts = try await source.facts([.repositories, .accounts])
        #expect(facts.repositories?.first?.protected == false)
        #expect(facts.accounts?.contains { $0.login == "bob" } == false)
    }

    @Test func selfManagedInstancesAreReadUnderTheirURL() async throws {
        let fake = Self.fake(baseURL: "https://git.acme.test/gitlab")
        let facts = try await Self.source(fake, settings: ["base_url": .string("https://git.acme.test/gitlab")]).facts([.repositories])
        #expect(facts.repositories?.count == 3)
    }

    @Test func setUpErrorsSayWhatToSetAndNoSecret() {
        #expect(throws: SourceError.self) { try Self.source(Self.fake(), environment: [:]) }
        do {
            _ = try GitLabSource(config: SourceConfig(id: "gitlab", kind: "gitlab"), environment: ["GITLAB_TOKEN": Self.token], transport: Self.fake(), clock: TestClock())
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("settings.group is missing"))
            #expect(!"\(error)".contains(Self.token))
        }
    }

    @Test func rejectedCredentialsNameTheVariableNeverTheToken() async throws {
        let message = await Self.refusal { _ = try await Self.source(Self.fake(), environment: ["GITLAB_TOKEN": "glpat-wrong"]).facts([.accounts]) }
        #expect(message?.contains("GitLab rejected the token in GITLAB_TOKEN (HTTP 401 Unauthorized)") == true)
        #expect(message?.contains("glpat-wrong") == false)
    }

    @Test func rateLimitsAreWaitedOutWhenShortAndReportedWhenLong() async throws {
        let fake = Self.fake()
        fake.failNext([.tooManyRequests(retryAfter: 3)], pathContains: "/protected_branches")
        let waits = TestClock(start: Self.now, sleeping: .returnsAtOnce)
        #expect(try await Self.source(fake, waits: waits).facts([.repositories]).repositories?.count == 3)
        #expect(waits.waits == [3])

        fake.failNext([.tooManyRequests(retryAfter: 900)])
        let message = await Self.refusal { _ = try await Self.source(fake).facts([.repositories]) }
        #expect(message?.contains("rate limit asks to wait 900 s (until 2026-02-25T06:28:20Z)") == true)
    }

    @Test func unreadableOrFailingAnswersAreErrors() async throws {
        let fake = Self.fake()
        fake.failNext([.malformed], pathContains: "/members/all")
        let malformed = await Self.refusal { _ = try await Self.source(fake).facts([.accounts]) }
        #expect(malformed?.contains("with a body this client cannot read") == true)

        fake.failNext([.serverError(500)], pathContains: "/approval_rules")
        let failed = await Self.refusal { _ = try await Self.source(fake).facts([.repositories]) }
        #expect(failed?.contains("GitLab list approval rules of acme/platform/api: HTTP 500") == true)
    }

    @Test func branchProtectionFailsOnTheUnprotectedProject() async throws {
        let facts = try await Self.source(Self.fake()).facts([.repositories])
        let results = try CheckFactory.make(CheckSpec(type: "branch_protection")).evaluate(facts, at: Self.now)
        #expect(results.filter { $0.status == .fail }.map(\.resource.id) == ["gitlab:acme/platform/web"])
    }

    @Test func liveSourcesBuildsTheGitLabClient() throws {
        let config = SourceConfig(id: "gitlab", kind: "gitlab", settings: ["group": .string("acme")])
        #expect(try SourceRegistry.client(for: config, environment: ["GITLAB_TOKEN": Self.token], transport: Self.fake(), clock: TestClock()) is GitLabSource)
    }
}
