import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// Records the waits a source asks for instead of sleeping.
@Suite("GitHub source")
struct GitHubSourceTests {
    /// 2026-02-25 06:13:20 UTC.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    static let token = "ghp_fakeTokenValue0123456789"

    static func organization() -> FakeGitHub.Organization {
        FakeGitHub.Organization(
            login: "acme",
            members: [
                .init("alice", admin: true), .init("bob", twoFactor: false), .init("Carol-Dev", email: "carol@acme.test"),
                .init("dave", admin: true, twoFactor: false), .init("erin"),
            ],
            outsideCollaborators: [.init("vendor-frank", twoFactor: false), .init("vendor-gina")],
            repos: [
                .init("api", requiredReviews: .some(2)),
                .init("web"),
                .init("infra", defaultBranch: "trunk", requiredReviews: .some(nil)),
                .init("ruled", rules: [.pullRequest(approvals: 1), .init(type: "deletion")]),
                .init("both", requiredReviews: .some(1), rules: [.pullRequest(approvals: 3)]),
                .init("pushguard", rules: [.init(type: "non_fast_forward")]),
                .init("old", archived: true),
            ],
            secretAlerts: [
                .init(number: 1, repo: "api", secretType: "aws_access_key_id", displayName: "AWS Access Key ID", createdAt: "2026-02-01T10:00:00Z"),
                .init(number: 2, repo: "web", secretType: "slack_api_token", displayName: "Slack API Token", createdAt: "2026-02-02T10:00:00Z",
                      state: "resolved"),
                .init(number: 3, repo: "web", secretType: "github_personal_access_token", displayName: "GitHub Personal Access Token",
                      createdAt: "2026-02-03T10:00:00Z"),
            ],
            dependabotAlerts: [
                .init(number: 7, repo: "api", ecosystem: "npm", package: "lodash", ghsaID: "GHSA-jf85-cpcp-j695",
                      summary: "Prototype Pollution in lodash", severity: "critical", createdAt: "2026-02-10T08:30:00Z"),
                .init(number: 8, repo: "api", ecosystem: "pip", package: "requests", ghsaID: "GHSA-j8r2-6x86-q33q",
                      summary: "Unintended leak of Proxy-Authorization header", severity: "medium", createdAt: "2026-02-11T08:30:00Z"),
                .init(number: 9, repo: "web", ecosystem: "npm", package: "minimist", ghsaID: "GHSA-xvch-5gv4-984h",
                      summary: "Prototype Pollution in minimist", severity: "critical", createdAt: "2026-02-12T08:30:00Z", state: "fixed"),
            ])
    }

    static func fake(_ organization: FakeGitHub.Organization = organization(), baseURL: String = "https://api.github.test") -> FakeGitHub {
        FakeGitHub(organization: organization, token: token, baseURL: URL(string: baseURL)!, now: { now })
    }

    static func source(_ transport: any HTTPTransport, settings: [String: ConfigValue] = [:], environment: [String: String] = ["GITHUB_TOKEN": token],
                       credentials: [String: String] = [:], waits: TestClock = TestClock(start: GitHubSourceTests.now, sleeping: .returnsAtOnce)) throws -> GitHubSource {
        var all: [String: ConfigValue] = ["organization": .string("acme"), "base_url": .string("https://api.github.test")]
        all.merge(settings) { _, new in new }
        return try GitHubSource(config: SourceConfig(id: "github", kind: "github", credentialVariables: credentials, settings: all),
                                environment: environment, transport: transport, clock: waits)
    }

    static func refusal(_ body: () async throws -> Void) async -> String? {
        do { try await body(); return nil } catch { return "\(error)" }
    }

    // MARK: accounts

    @Test func accountsAreMembersWithRolesAndTwoFactorThenOutsideCollaborators() async throws {
        let fake = Self.fake()
        let accounts = try #require(try await Self.source(fake).facts([.accounts]).accounts)
        #expect(accounts == [
            Account(system: "GitHub", login: "alice", email: nil, active: true, mfaEnabled: true, privileged: true, roles: ["org admin"]),
            Account(system: "GitHub", login: "bob", email: nil, active: true, mfaEnabled: false, privileged: false, roles: ["member"]),
            Account(system: "GitHub", login: "Carol-Dev", email: "carol@acme.test", active: true, mfaEnabled: true, privileged: false, roles: ["member"]),
            Account(system: "GitHub", login: "dave", email: nil, active: true, mfaEnabled: false, privileged: true, roles: ["org admin"]),
            Account(system: "GitHub", login: "erin", email: nil, active: true, mfaEnabled: true, privileged: false, roles: ["member"]),
            Account(system: "GitHub", login: "vendor-frank", email: nil, active: true, mfaEnabled: false, privileged: false, roles: ["outside collaborator"]),
            Account(system: "GitHub", login: "vendor-gina", email: nil, active: true, mfaEnabled: true, privileged: false, roles: ["outside collaborator"]),
        ])
        // Five members in pages of two: three pages, each asked for with per_page=100 and the documented headers.
        #expect(fake.paths.filter { $0.hasPrefix("/orgs/acme/members?page=") }.count == 2)
        let first = try #require(fake.received.first)
        #expect(first.query["per_page"] == "100")
        #expect(first.headers.contains { $0.name == "Authorization" && $0.value == "Bearer \(Self.token)" })
        #expect(first.headers.contains { $0.name == "Accept" && $0.value == "application/vnd.github+json" })
        #expect(first.headers.contains { $0.name == "X-GitHub-Api-Version" && $0.value == "2022-11-28" })
    }

    @Test func twoFactorIsUnknownWhenTheTokenMayNotUseTheFilter() async throws {
        let fake = Self.fake()
        fake.update { $0.tokenIsOwner = false }
        let accounts = try #require(try await Self.source(fake).facts([.accounts]).accounts)
        #expect(accounts.count == 7)
        #expect(accounts.allSatisfy { $0.mfaEnabled == nil })
        #expect(accounts.filter(\.privileged).map(\.login) == ["alice", "dave"])
    }

    @Test func aRemovedMemberIsGoneOnTheNextRead() async throws {
        let fake = Self.fake()
        let source = try Self.source(fake)
        #expect(try await source.facts([.accounts]).accounts?.contains { $0.login == "bob" } == true)
        fake.update { $0.members.removeAll { $0.login == "bob" } }
        #expect(try await source.facts([.accounts]).accounts?.contains { $0.login == "bob" } == false)
    }

    // MARK: repositories

    @Test func repositoriesCombineClassicProtectionAndRulesets() async throws {
        let repositories = try #require(try await Self.source(Self.fake()).facts([.repositories]).repositories)
        #expect(repositories == [
            Repository(host: "GitHub", name: "acme/api", defaultBranch: "main", protected: true, requiredReviews: 2),
            Repository(host: "GitHub", name: "acme/web", defaultBranch: "main", protected: false, requiredReviews: 0),
            Repository(host: "GitHub", name: "acme/infra", defaultBranch: "trunk", protected: true, requiredReviews: 0),
            Repository(host: "GitHub", name: "acme/ruled", defaultBranch: "main", protected: true, requiredReviews: 1),
            Repository(host: "GitHub", name: "acme/both", defaultBranch: "main", protected: true, requiredReviews: 3),
            Repository(host: "GitHub", name: "acme/pushguard", defaultBranch: "main", protected: true, requiredReviews: 0),
        ])
    }

    @Test func configuredRepositoriesAreReadByName() async throws {
        let fake = Self.fake()
        let repositories = try #require(try await Self.source(fake, settings: ["repositories": .list([.string("web"), .string("acme/api")])])
            .facts([.repositories]).repositories)
        #expect(repositories.map(\.name) == ["acme/web", "acme/api"])
        #expect(!fake.paths.contains { $0.hasPrefix("/orgs/acme/repos") })
        let missing = await Self.refusal { _ = try await Self.source(fake, settings: ["repositories": .string("ghost")]).facts([.repositories]) }
        #expect(missing?.contains("acme/ghost: HTTP 404") == true)
    }

    @Test func liftedProtectionShowsOnTheNextRead() async throws {
        let fake = Self.fake()
        let source = try Self.source(fake, settings: ["repositories": .string("api")])
        #expect(try await source.facts([.repositories]).repositories?.first?.protected == true)
        fake.update { $0.repos[0].protection = nil }
        #expect(try await source.facts([.repositories]).repositories?.first == Repository(host: "GitHub", name: "acme/api", protected: false,
                                                                                          requiredReviews: 0))
    }

    @Test func enterpriseServerIsReadUnderItsAPIPath() async throws {
        let fake = Self.fake(baseURL: "https://ghe.acme.test/api/v3")
        let source = try Self.source(fake, settings: ["base_url": .string("https://ghe.acme.test/api/v3")])
        let facts = try await source.facts([.accounts, .repositories, .vulnerabilities])
        #expect(facts.accounts?.count == 7)
        #expect(facts.repositories?.count == 6)
        #expect(facts.vulnerabilities?.count == 4)
        #expect(fake.received.allSatisfy { $0.url.path.hasPrefix("/api/v3/") && $0.url.host == "ghe.acme.test" })
    }

    // MARK: vulnerabilities

    @Test func openSecretsAndDependabotAlertsAreVulnerabilities() async throws {
        let vulnerabilities = try #require(try await Self.source(Self.fake()).facts([.vulnerabilities]).vulnerabilities)
        #expect(vulnerabilities == [
            Vulnerability(id: "github-secret-scanning:acme/api#1", title: "secret exposed: AWS Access Key ID", severity: .critical,
                          resource: "acme/api", openedAt: Date(timeIntervalSince1970: 1_769_940_000)),
            Vulnerability(id: "github-secret-scanning:acme/web#3", title: "secret exposed: GitHub Personal Access Token", severity: .critical,
                          resource: "acme/web", openedAt: Date(timeIntervalSince1970: 1_770_112_800)),
            Vulnerability(id: "github-dependabot:acme/api#7", title: "npm lodash: Prototype Pollution in lodash (GHSA-jf85-cpcp-j695)",
                          severity: .critical, resource: "acme/api", openedAt: Date(timeIntervalSince1970: 1_770_712_200)),
            // Every open severity is read, so a control with `min_severity: medium` sees this one.
            Vulnerability(id: "github-dependabot:acme/api#8",
                          title: "pip requests: Unintended leak of Proxy-Authorization header (GHSA-j8r2-6x86-q33q)",
                          severity: .medium, resource: "acme/api", openedAt: Date(timeIntervalSince1970: 1_770_798_600)),
        ])
        #expect(!"\(vulnerabilities)".contains("fake-secret-value"))
    }

    @Test func aFeatureThatIsOffIsAnErrorUnlessTheSettingSkipsIt() async throws {
        let fake = Self.fake()
        fake.update { $0.secretScanningEnabled = false }
        let secretError = await Self.refusal { _ = try await Self.source(fake).facts([.vulnerabilities]) }
        #expect(secretError?.contains("secret-scanning alerts: HTTP 404") == true)
        #expect(secretError?.contains("secret_scanning: false") == true)
        let skipped = try await Self.source(fake, settings: ["secret_scanning": .bool(false)]).facts([.vulnerabilities])
        #expect(skipped.vulnerabilities?.map(\.id) == ["github-dependabot:acme/api#7", "github-dependabot:acme/api#8"])

        fake.update { $0.dependabotEnabled = false }
        let dependabotError = await Self.refusal { _ = try await Self.source(fake, settings: ["secret_scanning": .bool(false)]).facts([.vulnerabilities]) }
        #expect(dependabotError?.contains("Dependabot alerts: HTTP 404") == true)
        #expect(dependabotError?.contains("dependabot: false") == true)
        let neither = try await Self.source(fake, settings: ["secret_scanning": .bool(false), "dependabot": .bool(false)]).facts([.vulnerabilities])
        #expect(neither.vulnerabilities == [])
    }

    // MARK: set-up errors

    @Test func aMissingTokenNamesTheVariable() throws {
        #expect(throws: SourceError.unavailable(source: "github", reason: "set the environment variable GH_READER to a GitHub token "
                                                + "(or name another variable in the source's `credentials.token`)")) {
            try Self.source(Self.fake(), environment: ["GITHUB_TOKEN": Self.token], credentials: ["token": "GH_READER"])
        }
        #expect(throws: SourceError.self) { try Self.source(Self.fake(), environment: [:]) }
    }

    @Test func aMissingOrganizationSaysWhatToSetAndNoSecret() {
        do {
            _ = try GitHubSource(config: SourceConfig(id: "github", kind: "github"), environment: ["GITHUB_TOKEN": Self.token], transport: Self.fake(), clock: TestClock())
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("settings.organization is missing"))
            #expect(!"\(error)".contains(Self.token))
        }
    }

    @Test func rejectedCredentialsNameTheVariableNeverTheToken() async throws {
        let wrong = "ghp_revokedToken999"
        let message = await Self.refusal { _ = try await Self.source(Self.fake(), environment: ["GITHUB_TOKEN": wrong]).facts([.accounts]) }
        #expect(message?.contains("GitHub rejected the token in GITHUB_TOKEN (HTTP 401 Bad credentials)") == true)
        #expect(message?.contains(wrong) == false)
    }

    @Test func liveSourcesBuildsTheGitHubClient() throws {
        let config = SourceConfig(id: "github", kind: "github", settings: ["organization": .string("acme")])
        let client = try SourceRegistry.client(for: config, environment: ["GITHUB_TOKEN": Self.token], transport: Self.fake(), clock: TestClock())
        #expect(client is GitHubSource)
        #expect(SourceRegistry.liveKinds.contains("github"))
    }

    // MARK: rate limits and bad answers

    @Test func aShortPrimaryRateLimitIsWaitedOut() async throws {
        let fake = Self.fake()
        fake.failNext([.primaryRateLimit(resetIn: 30)], pathContains: "/members")
        let waits = TestClock(start: Self.now, sleeping: .returnsAtOnce)
        let accounts = try await Self.source(fake, waits: waits).facts([.accounts]).accounts
        #expect(accounts?.count == 7)
        #expect(waits.waits == [30])
    }

    @Test func aLongPrimaryRateLimitFailsSayingWhenItResets() async throws {
        let fake = Self.fake()
        fake.failNext([.primaryRateLimit(resetIn: 1_800)])
        let waits = TestClock(start: Self.now, sleeping: .returnsAtOnce)
        let message = await Self.refusal { _ = try await Self.source(fake, waits: waits).facts([.accounts]) }
        #expect(message?.contains("rate limit for this token is exhausted until 2026-02-25T06:43:20Z (in 1800 s)") == true)
        #expect(waits.waits.isEmpty)
    }

    @Test func aSecondaryRateLimitHonoursRetryAfterWithinBounds() async throws {
        let fake = Self.fake()
        fake.failNext([.secondaryRateLimit(retryAfter: 5), .secondaryRateLimit(retryAfter: 7)], pathContains: "/protection")
        let waits = TestClock(start: Self.now, sleeping: .returnsAtOnce)
        #expect(try await Self.source(fake, waits: waits).facts([.repositories]).repositories?.count == 6)
        #expect(waits.waits == [5, 7])

        fake.failNext([.secondaryRateLimit(retryAfter: 600)])
        let message = await Self.refusal { _ = try await Self.source(fake).facts([.repositories]) }
        #expect(message?.contains("secondary rate limit asks to wait 600 s") == true)
    }

    @Test func rateLimitWaitsAreBoundedInNumber() async throws {
        let fake = Self.fake()
        fake.failNext(Array(repeating: .secondaryRateLimit(retryAfter: 1), count: 4), pathContains: "/members")
        let waits = TestClock(start: Self.now, sleeping: .returnsAtOnce)
        let message = await Self.refusal { _ = try await Self.source(fake, waits: waits).facts([.accounts]) }
        #expect(message?.contains("still answered with a rate limit after 3 waits") == true)
        #expect(waits.waits == [1, 1, 1])
    }

    @Test func serverErrorsAreRetriedThenReported() async throws {
        let fake = Self.fake()
        let retrying = RetryingTransport(base: fake, clock: TestClock(sleeping: .returnsAtOnce))
        fake.failNext([.serverError(502)], pathContains: "/outside_collaborators")
        #expect(try await Self.source(retrying).facts([.accounts]).accounts?.count == 7)

        fake.failNext(Array(repeating: .serverError(503), count: 4), pathContains: "/rules/")
        let message = await Self.refusal { _ = try await Self.source(retrying).facts([.repositories]) }
        #expect(message?.contains("GitHub read rulesets of acme/api:main: HTTP 503") == true)
    }

    @Test(arguments: [FakeGitHub.Failure.malformed, .wrongShape])
    func anUnreadableAnswerIsAnErrorNeverEmptyFacts(_ failure: FakeGitHub.Failure) async throws {
        for (kind, path) in [(FactKind.accounts, "/members"), (.repositories, "/repos"), (.vulnerabilities, "/secret-scanning")] {
            let fake = Self.fake()
            fake.failNext([failure], pathContains: path)
            let message = await Self.refusal { _ = try await Self.source(fake).facts([kind]) }
            #expect(message?.contains("with a body this client cannot read") == true, "\(kind)")
        }
    }

    @Test func aNextPageOnAnotherHostIsNotFollowed() async throws {
        let fake = Self.fake()
        fake.failNext([.foreignNextLink], pathContains: "/members")
        let message = await Self.refusal { _ = try await Self.source(fake).facts([.accounts]) }
        #expect(message?.contains("points to another host (evil.example)") == true)
        #expect(!fake.received.contains { $0.url.host == "evil.example" })
    }

    // MARK: through the checks

    @Test func branchProtectionFailsOnTheUnprotectedRepository() async throws {
        let facts = try await Self.source(Self.fake()).facts([.repositories])
        let results = try CheckFactory.make(CheckSpec(type: "branch_protection", parameters: ["required_reviews": .number(1)]))
            .evaluate(facts, at: Self.now)
        #expect(Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) }) == [
            "github:acme/api": .pass, "github:acme/web": .fail, "github:acme/infra": .fail, "github:acme/ruled": .pass,
            "github:acme/both": .pass, "github:acme/pushguard": .fail,
        ])
    }

    @Test func mfaFailsForMembersWithoutTwoFactor() async throws {
        let facts = try await Self.source(Self.fake()).facts([.accounts])
        let results = try CheckFactory.make(CheckSpec(type: "mfa", parameters: [:])).evaluate(facts, at: Self.now)
        let failing = results.filter { $0.status == .fail }.map(\.resource.id)
        #expect(failing.count == 3, "\(results.map { ($0.resource.id, $0.status) })")
    }
}
