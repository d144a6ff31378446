import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

@Suite("Okta source")
struct OktaSourceTests {
    static let config = SourceConfig(id: "okta", kind: "okta", settings: ["base_url": .string("https://acme.okta.com")])
    static let environment = ["OKTA_API_TOKEN": "00okta-test-token"]

    /// One user in every status, with a mix of factors and roles.
    static func org() -> [FakeOkta.User] {
        [
            .init(id: "00u1", login: "ada@acme.example", status: "ACTIVE", lastLogin: "2026-02-20T09:30:00.000Z",
                  factors: [.init("push"), .init("password")], roles: [.init("SUPER_ADMIN"), .init("APP_ADMIN", assignmentType: "GROUP")]),
            .init(id: "00u2", login: "bo@acme.example", status: "ACTIVE", factors: [.init("question"), .init("sms", status: "PENDING_ACTIVATION")]),
            .init(id: "00u3", login: "cy@acme.example", status: "PASSWORD_EXPIRED", factors: [.init("token:software:totp")]),
            .init(id: "00u4", login: "di@acme.example", status: "LOCKED_OUT", factors: [.init("webauthn")],
                  roles: [.init("CUSTOM", label: "Helpdesk lite")]),
            .init(id: "00u5", login: "ed@acme.example", status: "RECOVERY"),
            .init(id: "00u6", login: "fa@acme.example", status: "SUSPENDED", factors: [.init("push")], roles: [.init("ORG_ADMIN")]),
            .init(id: "00u7", login: "gu@acme.example", status: "DEPROVISIONED", lastLogin: "2025-11-01T12:00:00.000Z"),
            .init(id: "00u8", login: "ha@acme.example", status: "STAGED"),
            .init(id: "00u9", login: "io@acme.example", status: "PROVISIONED"),
        ]
    }

    func source(_ fake: FakeOkta, config: SourceConfig = OktaSourceTests.config, environment: [String: String] = OktaSourceTests.environment,
                clock: TestClock? = nil) throws -> OktaSource {
        // The source waits on the fake's clock: each wait it asks for is recorded and moves the fake's time on.
        try OktaSource(config: config, environment: environment, transport: fake, clock: clock ?? fake.clock)
    }

    func accounts(_ fake: FakeOkta) async throws -> [Account] {
        try #require(try await source(fake).facts([.accounts]).accounts)
    }

    @Test func everyStatusIsListedAndMappedToActive() async throws {
        // Given
        let fake = FakeOkta(users: Self.org())

        // When
        let accounts = try await accounts(fake)

        // Then
        let active = Dictionary(uniqueKeysWithValues: accounts.map { ($0.login, $0.active) })
        #expect(active == ["ada@acme.example": true, "bo@acme.example": true, "cy@acme.example": true, "di@acme.example": true,
                           "ed@acme.example": true, "fa@acme.example": false, "gu@acme.example": false, "ha@acme.example": false,
                           "io@acme.example": false])
        #expect(accounts.allSatisfy { $0.system == "Okta" && $0.interactive && $0.email == $0.login })
    }

    @Test func mfaCountsOnlyActiveSecondFactors() async throws {
        let accounts = try await accounts(FakeOkta(users: Self.org()))
        let mfa = Dictionary(uniqueKeysWithValues: accounts.map { ($0.login, $0.mfaEnabled) })
        #expect(mfa["ada@acme.example"] == true)      // push
        #expect(mfa["bo@acme.example"] == false)      // a security question and an SMS not yet activated
        #expect(mfa["cy@acme.example"] == true)       // TOTP
        #expect(mfa["di@acme.example"] == true)       // WebAuthn
        #expect(mfa["ed@acme.example"] == false)      // nothing enrolled
        #expect(mfa["fa@acme.example"] == .some(nil)) // suspended: not read
    }

    @Test func adminRolesMakeAnAccountPrivileged() async throws {
        let accounts = try await accounts(FakeOkta(users: Self.org()))
        let ada = try #require(accounts.first { $0.login == "ada@acme.example" })
        #expect(ada.privileged && ada.roles == ["APP_ADMIN", "SUPER_ADMIN"])
        #expect(ada.lastLoginAt == Date(timeIntervalSince1970: 1_771_579_800))
        let di = try #require(accounts.first { $0.login == "di@acme.example" })
        #expect(di.privileged && di.roles == ["Helpdesk lite"])
        let bo = try #require(accounts.first { $0.login == "bo@acme.example" })
        #expect(!bo.privileged && bo.roles.isEmpty)
        // A suspended org admin is not an active admin, and its roles are not read.
        let fa = try #require(accounts.first { $0.login == "fa@acme.example" })
        #expect(!fa.privileged && fa.roles.isEmpty)
    }

    @Test func onlyActiveUsersCostPerUserCalls() async throws {
        let fake = FakeOkta(users: Self.org())
        _ = try await accounts(fake)
        #expect(fake.count("/factors") == 5)
        #expect(fake.count("/roles") == 5)
        #expect(!fake.requests.contains { $0.contains("00u6") || $0.contains("00u7") || $0.contains("00u8") })
    }

    @Test func pagesAreFollowedThroughTheLinkHeader() async throws {
        // Given pages of two users
        let fake = FakeOkta(users: Self.org(), pageSize: 2)

        // When
        let accounts = try await accounts(fake)

        // Then all nine users arrive, in order, over five pages, with the search on every page
        #expect(accounts.map(\.login) == Self.org().map(\.login))
        let listings = fake.requests.filter { $0.hasPrefix("/api/v1/users?") }
        #expect(listings.count == 5)
        #expect(listings.allSatisfy { $0.contains("search=") && $0.contains("DEPROVISIONED") })
        #expect(listings.dropFirst().map { $0.components(separatedBy: "after=").last } == ["00u2", "00u4", "00u6", "00u8"])
    }

    @Test func aNextLinkToAnotherHostIsRefused() async throws {
        let fake = FakeOkta(users: Self.org(), pageSize: 2)
        fake.failNext([.foreignNextLink(host: "evil.example")])
        await #expect(throws: SourceError.self) { try await accounts(fake) }
        #expect(!fake.requests.contains { $0.contains("after=") })
    }

    @Test func aSpentWindowIsWaitedOutUntilItsReset() async throws {
        // Given a window of four requests for an org that needs 1 + 5 · 2 = 11, plus one System Log query (some
        // active users have no second factor) = 12, read one user at a time
        let fake = FakeOkta(users: Self.org(), rateLimit: 4, windowSeconds: 30)
        let waits = fake.clock
        var config = Self.config
        config.settings["concurrency"] = .number(1)

        // When
        let accounts = try #require(try await source(fake, config: config).facts([.accounts]).accounts)

        // Then the source waited for each window to reset (30 s and a second for skew) and never hit a 429
        #expect(accounts.count == 9)
        #expect(waits.waits == [31, 31, 31])
        #expect(fake.requests.count == 12)
        #expect(fake.requests.last?.hasPrefix("/api/v1/logs") == true)
    }

    @Test func parallelReadsShareTheWindowAndStillFinish() async throws {
        // Given the default four reads at a time against a window of six requests
        let fake = FakeOkta(users: Self.org(), rateLimit: 6, windowSeconds: 30)
        let waits = fake.clock

        // When
        let accounts = try await accounts(fake)

        // Then every account arrives complete; each wait was a bounded one
        #expect(accounts.count == 9)
        #expect(accounts.filter(\.active).allSatisfy { $0.mfaEnabled != nil })
        #expect(!waits.waits.isEmpty && waits.waits.allSatisfy { $0 > 0 && $0 <= 61 })
    }

    @Test func a429IsRetriedAfterTheReset() async throws {
        let fake = FakeOkta(users: Self.org())
        fake.failNext([.tooManyRequests(resetIn: 5)])
        let waits = fake.clock
        let accounts = try await accounts(fake)
        #expect(accounts.count == 9)
        #expect(waits.waits == [6])
    }

    @Test func aResetTooFarAwayIsAClearError() async throws {
        let fake = FakeOkta(users: Self.org())
        fake.failNext([.tooManyRequests(resetIn: 600)])
        let waits = fake.clock
        do {
            _ = try await accounts(fake)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("rate limited by Okta until"))
            #expect(waits.waits.isEmpty)
        }
    }

    @Test func aWrongTokenSaysWhichVariableToFix() async throws {
        let fake = FakeOkta(token: "the-real-token", users: Self.org())
        do {
            _ = try await accounts(fake)
            Issue.record("expected an error")
        } catch {
            let message = "\(error)"
            #expect(message.contains("HTTP 401 E0000011 (Invalid token provided)"))
            #expect(message.contains("OKTA_API_TOKEN"))
            #expect(!message.contains("00okta-test-token") && !message.contains("the-real-token"))
        }
    }

    @Test(arguments: [FakeOkta.Failure.malformed, .wrongShape, .serverError(500)])
    func badAnswersAreErrorsNeverEmptyAccounts(_ failure: FakeOkta.Failure) async throws {
        let fake = FakeOkta(users: Self.org())
        fake.failNext([failure])
        await #expect(throws: SourceError.self) { try await accounts(fake) }
    }

    @Test(arguments: [FakeOkta.Failure.malformed, .serverError(503)])
    func aBadAnswerForOneUsersFactorsFailsTheRead(_ failure: FakeOkta.Failure) async throws {
        let fake = FakeOkta(users: Self.org())
        fake.fail(pathsEndingWith: "/00u3/factors", with: failure)
        do {
            _ = try await accounts(fake)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("Okta list factors of cy@acme.example"))
        }
    }

    @Test func missingTokenNamesTheVariableAndNothingElse() {
        for (config, variable) in [(Self.config, "OKTA_API_TOKEN"),
                                   (SourceConfig(id: "okta", kind: "okta", credentialVariables: ["token": "IDP_TOKEN"],
                                                 settings: Self.config.settings), "IDP_TOKEN")] {
            do {
                _ = try OktaSource(config: config, environment: ["OTHER": "secret-value"], transport: FakeOkta(), clock: TestClock())
                Issue.record("expected a refusal")
            } catch {
                #expect("\(error)".contains(variable))
                #expect(!"\(error)".contains("secret-value"))
            }
        }
    }

    @Test(arguments: [nil, "", "acme.okta.com", "ftp://acme.okta.com"])
    func aMissingOrBadBaseURLIsRefusedWithAFix(_ base: String?) {
        let config = SourceConfig(id: "okta", kind: "okta", settings: base.map { ["base_url": .string($0)] } ?? [:])
        do {
            _ = try OktaSource(config: config, environment: Self.environment, transport: FakeOkta(), clock: TestClock())
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("base_url"))
            #expect("\(error)".contains("https://acme.okta.com"))
            #expect(!"\(error)".contains("00okta-test-token"))
        }
    }

    @Test func theClientIsRegistered() throws {
        #expect(SourceRegistry.liveKinds.isSuperset(of: ["okta", "bamboohr", "csv_hr"]))
        let client = try SourceRegistry.client(for: Self.config, environment: Self.environment, transport: FakeOkta(), clock: TestClock())
        #expect(client is OktaSource)
        #expect(client?.provides == [.accounts])
    }

    /// An HR termination three days ago and a still-active Okta account: the offboarding control fails, naming Okta
    /// and the admin role; once Okta suspends the account, it passes.
    @Test func offboardingFailsForATerminatedPersonStillActiveInOkta() async throws {
        // Given
        let now = Date(timeIntervalSince1970: 1_772_000_000)
        let fake = FakeOkta(users: Self.org(), clock: TestClock(start: now, sleeping: .jumps(upTo: .infinity)))
        let okta = try source(fake)
        let hr = StaticPeople(id: "hr", people: [
            HRPerson(employeeID: "E1", name: "Ada Admin", email: "Ada@acme.example", status: .terminated, terminatedAt: now.addingTimeInterval(-3 * 86_400)),
            HRPerson(employeeID: "E6", name: "Fa Gone", email: "fa@acme.example", status: .terminated, terminatedAt: now.addingTimeInterval(-3 * 86_400)),
        ])
        let control = Control(id: "offboarding", title: "Offboarding", criteria: [Criterion("CC6.2")!], owner: "it", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "offboarding"), remediation: "suspend the account in Okta")
        let runner = ControlRunner(sources: [hr, okta])

        // When
        let results = await runner.run(control, at: now)

        // Then
        let ada = try #require(results.first { $0.resource.id == "person:ada@acme.example" })
        #expect(ada.status == .fail)
        #expect(ada.observed.contains("still active in Okta (ada@acme.example, APP_ADMIN, SUPER_ADMIN)"))
        #expect(results.first { $0.resource.id == "person:fa@acme.example" }?.status == .pass)

        // When Okta suspends Ada
        fake.users = fake.users.map { var user = $0; if user.id == "00u1" { user.status = "SUSPENDED" }; return user }
        let again = await runner.run(control, at: now)

        // Then
        #expect(again.allSatisfy { $0.status == .pass })
    }

    @Test func theSystemLogSaysWhenMFAWasRemoved() async throws {
        let clock = TestClock(start: Date(timeIntervalSince1970: 1_772_000_000), sleeping: .jumps(upTo: .infinity))
        let okta = FakeOkta(users: [
            .init(id: "00uA", login: "ana@acme.example", factors: [.init("token:software:totp", status: "INACTIVE")]),
            .init(id: "00uB", login: "ben@acme.example", factors: [.init("push")]),
        ], clock: clock)
        let removed = clock.now().addingTimeInterval(-3 * 3_600)
        okta.log([.init("user.mfa.factor.deactivate", published: clock.now().addingTimeInterval(-40 * 86_400), userID: "00uA"),
                  .init("user.mfa.factor.deactivate", published: removed, userID: "00uA"),
                  .init("user.mfa.factor.reset_all", published: removed, userID: "00uB"),
                  .init("user.session.start", published: clock.now(), userID: "00uA")])
        let source = try OktaSource(config: SourceConfig(id: "okta", kind: "okta", credentialVariables: ["token": "OKTA_API_TOKEN"],
                                                         settings: ["base_url": .string("https://acme.okta.test")]),
                                    environment: ["OKTA_API_TOKEN": okta.token], transport: okta, clock: clock)
        let accounts = try await source.facts([.accounts]).accounts ?? []
        let ana = try #require(accounts.first { $0.login == "ana@acme.example" })
        #expect(ana.mfaEnabled == false)
        #expect(ana.mfaChangedAt.map { abs($0.timeIntervalSince(removed)) < 1 } == true, "the latest removal: when the failure began")
        #expect(accounts.first { $0.login == "ben@acme.example" }?.mfaChangedAt == nil, "ben has MFA: no failure to date")
        #expect(okta.count("/api/v1/logs") == 1, "one System Log query for everyone")
    }

}

/// HR people served from memory, for running a control against a live-source fake.
struct StaticPeople: FactSource {
    let id: SourceID
    let people: [HRPerson]
    var provides: Set<FactKind> { [.people] }
    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        if kinds.contains(.people) { facts.people = people }
        return facts
    }
}
