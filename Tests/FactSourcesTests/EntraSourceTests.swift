import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

@Suite("Entra source")
struct EntraSourceTests {
    static let tenant = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f"
    static let clientID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    static let secret = "Qx~8Q~fake.secret-value_with+odd=chars&"
    static let globalAdmin = "62e90394-69f5-4237-9190-012177145e10"

    private let waits = TestClock(sleeping: .returnsAtOnce)

    static let people: [FakeEntra.User] = [
        FakeEntra.User(id: "u1", "ada@acme.example", mail: "ada.lovelace@acme.example", lastSignIn: "2026-02-27T16:04:05.1234567Z", isAdmin: true),
        FakeEntra.User(id: "u2", "bob@acme.example", lastSignIn: "2026-01-05T09:00:00Z", mfaRegistered: false),
        FakeEntra.User(id: "u3", "cy@acme.example", accountEnabled: false, mfaRegistered: nil),
    ]

    func source(_ transport: any HTTPTransport, environment: [String: String]? = nil, credentials: [String: String] = [:],
                settings: [String: ConfigValue] = ["tenant_id": .string(tenant)]) throws -> EntraSource {
        try EntraSource(config: SourceConfig(id: "entra", kind: "entra", credentialVariables: credentials, settings: settings),
                        environment: environment ?? ["ENTRA_CLIENT_ID": Self.clientID, "ENTRA_CLIENT_SECRET": Self.secret],
                        transport: transport, clock: waits)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    @Test func usersReportsAndRolesJoinIntoAccounts() async throws {
        // Given three users two to a page, one registration missing, and two directory roles
        let graph = FakeEntra(users: Self.people, roles: [FakeEntra.Role(id: Self.globalAdmin, "Global Administrator", members: ["u2"]),
                                                          FakeEntra.Role(id: "r2", "Reports Reader", members: ["u2", "app-sp"])])
        // When accounts are read
        let accounts = try #require(try await source(graph).facts([.accounts]).accounts)
        // Then the users were paged with the documented query, and each account carries its report and roles
        #expect(graph.calls.filter { $0.hasPrefix("/v1.0/users") } == [
            "/v1.0/users?$select=id,userPrincipalName,mail,accountEnabled,signInActivity&$top=500",
            "/v1.0/users?$select=id,userPrincipalName,mail,accountEnabled,signInActivity&$top=500&$skiptoken=RFNwdAIAAQAAA2",
        ])
        #expect(graph.calls.contains("/v1.0/directoryRoles?$expand=members"))
        #expect(accounts.count == 3)
        var ada = accounts[0]
        let adaLogin = try #require(ada.lastLoginAt)
        #expect(abs(adaLogin.timeIntervalSince1970 - 1_772_208_245.1234567) < 0.000_01, "seven fractional digits are kept")
        ada.lastLoginAt = nil
        #expect(ada == Account(system: "Entra", login: "ada@acme.example", email: "ada.lovelace@acme.example", active: true, mfaEnabled: true,
                               privileged: true, roles: []))
        #expect(accounts[1].email == "bob@acme.example", "no mail: the UPN is the address")
        #expect(accounts[1].mfaEnabled == false && accounts[1].privileged && accounts[1].roles == ["Global Administrator", "Reports Reader"])
        #expect(accounts[1].lastLoginAt == Date(timeIntervalSince1970: 1_767_603_600))
        #expect(accounts[2].active == false && accounts[2].mfaEnabled == nil && accounts[2].lastLoginAt == nil && !accounts[2].privileged)
    }

    @Test func oneTokenServesSeveralReads() async throws {
        let graph = FakeEntra(users: Self.people)
        let source = try source(graph)
        _ = try await source.facts([.accounts])
        _ = try await source.facts([.accounts])
        #expect(graph.tokenRequests == 1)
        #expect(graph.calls.count == 2 * 4, "two pages of users, one of the report, one of roles — twice")
    }

    @Test func aWrongSecretIsRefusedWithItsCodeAndWithoutTheSecret() async throws {
        let graph = FakeEntra(users: Self.people)
        let message = await failure {
            _ = try await source(graph, environment: ["ENTRA_CLIENT_ID": Self.clientID, "ENTRA_CLIENT_SECRET": "wrong-but-secret-123"]).facts([.accounts])
        }
        #expect(graph.refusals == ["invalid_client"])
        #expect(message.contains("token request refused (HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided."))
        #expect(message.contains("not its id"))
        #expect(!message.contains("wrong-but-secret-123") && !message.contains("Trace ID"))
    }

    @Test func aWrongTenantOrClientSaysSo() async throws {
        let graph = FakeEntra(users: Self.people)
        let tenant = await failure { _ = try await source(graph, settings: ["tenant_id": .string("other.onmicrosoft.com")]).facts([.accounts]) }
        #expect(tenant.contains("AADSTS90002") && tenant.contains("settings.tenant_id"))
        let client = await failure {
            _ = try await source(graph, environment: ["ENTRA_CLIENT_ID": "nobody", "ENTRA_CLIENT_SECRET": Self.secret]).facts([.accounts])
        }
        #expect(client.contains("unauthorized_client: AADSTS700016") && !client.contains(Self.secret))
    }

    @Test func aForbiddenReportLeavesMFAUnknownNeverPassed() async throws {
        let graph = FakeEntra(users: Self.people, roles: [FakeEntra.Role(id: Self.globalAdmin, "Global Administrator", members: ["u2"])],
                              reportForbidden: true)
        let accounts = try #require(try await source(graph).facts([.accounts]).accounts)
        #expect(accounts.allSatisfy { $0.mfaEnabled == nil })
        #expect(accounts.map(\.privileged) == [false, true, false], "privilege then comes from directory roles alone")
    }

    @Test func signInActivityWithoutPremiumIsAnErrorNotNeverLoggedIn() async throws {
        let graph = FakeEntra(users: Self.people, premium: false)
        let message = await failure { _ = try await source(graph).facts([.accounts]) }
        #expect(message.contains("list users: HTTP 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant"))
        #expect(message.contains("P1") && message.contains("request id 6c1f2e3d-0000-4000-8000-00000000beef"))
    }

    @Test func throttlingIsHonoured() async throws {
        let graph = FakeEntra(users: Self.people)
        graph.failNext([.tooManyRequests(retryAfter: 3), .serviceUnavailable(retryAfter: 1)])
        let accounts = try await source(graph).facts([.accounts]).accounts
        #expect(accounts?.count == 3)
        #expect(waits.waits == [3, 1])
    }

    @Test func aRetryAfterBeyondAMinuteIsAnError() async throws {
        let graph = FakeEntra(users: Self.people)
        graph.failNext([.tooManyRequests(retryAfter: 61)])
        let message = await failure { _ = try await source(graph).facts([.accounts]) }
        #expect(message.contains("list users: throttled (HTTP 429, Retry-After 61 s)"))
        #expect(waits.waits.isEmpty)
    }

    @Test func endlessThrottlingGivesUpAfterFourSends() async throws {
        let graph = FakeEntra(users: Self.people)
        graph.failNext(Array(repeating: .tooManyRequests(retryAfter: nil), count: 4))
        let message = await failure { _ = try await source(graph).facts([.accounts]) }
        #expect(message.contains("throttled (HTTP 429)"))
        #expect(waits.waits == [1, 2, 4])
    }

    @Test func aNextLinkToAnotherHostIsNotFollowed() async throws {
        let graph = FakeEntra(users: Self.people)
        graph.failNext([.foreignNextLink])
        let message = await failure { _ = try await source(graph).facts([.accounts]) }
        #expect(message.contains("list users: the next page link points away from graph.microsoft.com; not followed"))
        #expect(graph.calls.count == 1)
    }

    @Test func aRoleBeyondTheExpansionCapIsListedInFull() async throws {
        let many = (1...25).map { FakeEntra.User(id: "m\($0)", "m\($0)@acme.example") }
        let graph = FakeEntra(users: many, roles: [FakeEntra.Role(id: "r-helpdesk", "Helpdesk Administrator", members: many.map(\.id))], pageSize: 10)
        let accounts = try #require(try await source(graph).facts([.accounts]).accounts)
        #expect(accounts.count == 25)
        #expect(accounts.allSatisfy { $0.privileged && $0.roles == ["Helpdesk Administrator"] })
        #expect(graph.calls.filter { $0.hasPrefix("/v1.0/directoryRoles/r-helpdesk/members") }.count == 3)
    }

    @Test func garbageIsAnErrorNeverAnEmptyDirectory() async throws {
        let graph = FakeEntra(users: Self.people)
        graph.failNext([.malformed])
        let message = await failure { _ = try await source(graph).facts([.accounts]) }
        #expect(message.contains("list users: the answer is not the expected collection (not JSON)"))

        let badDate = FakeEntra(users: [FakeEntra.User(id: "u1", "ada@acme.example", lastSignIn: "yesterday")])
        await #expect(throws: SourceError.self) { try await source(badDate).facts([.accounts]) }

        let down = FakeEntra(users: Self.people)
        down.failNext([.serverError(500)])
        let downMessage = await failure { _ = try await source(down).facts([.accounts]) }
        #expect(downMessage.contains("list users: HTTP 500 generalException"))
    }

    @Test func aRevokedTokenIsReplacedOnce() async throws {
        let graph = FakeEntra(users: Self.people)
        let source = try source(graph)
        _ = try await source.facts([.accounts])
        graph.revokeTokens()
        let accounts = try await source.facts([.accounts]).accounts
        #expect(accounts?.count == 3 && graph.tokenRequests == 2)
    }

    @Test func missingCredentialsAndSettingsSayWhatToSet() throws {
        let graph = FakeEntra(users: [])
        let none = refusal { _ = try source(graph, environment: [:]) }
        #expect(none.contains("ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET"))
        let noSecret = refusal { _ = try source(graph, environment: ["ENTRA_CLIENT_ID": Self.clientID]) }
        #expect(noSecret.contains("variable ENTRA_CLIENT_SECRET") && !noSecret.contains(Self.clientID))
        let renamed = refusal {
            _ = try source(graph, environment: ["ENTRA_CLIENT_ID": Self.clientID], credentials: ["client_secret": "ACME_GRAPH_SECRET"])
        }
        #expect(renamed.contains("ACME_GRAPH_SECRET"))
        let noTenant = refusal { _ = try source(graph, settings: [:]) }
        #expect(noTenant.contains("settings.tenant_id is required") && !noTenant.contains(Self.secret))
        let oddTenant = refusal { _ = try source(graph, settings: ["tenant_id": .string("../common")]) }
        #expect(oddTenant.contains("settings.tenant_id"))
    }

    @Test func liveSourcesBuildsTheEntraClient() throws {
        let config = SourceConfig(id: "entra", kind: "entra", settings: ["tenant_id": .string(Self.tenant)])
        let client = try SourceRegistry.client(for: config, environment: ["ENTRA_CLIENT_ID": Self.clientID, "ENTRA_CLIENT_SECRET": Self.secret],
                                            transport: FakeEntra(users: []), clock: TestClock())
        #expect(client is EntraSource)
        #expect(SourceRegistry.liveKinds.contains("entra"))
    }
}
