import _CryptoExtras
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

@Suite("Google Workspace source")
struct GoogleWorkspaceSourceTests {
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let keyID = "5f4e3d2c1b0a99887766554433221100ffeeddcc"

    private let clock = TestClock(sleeping: .returnsAtOnce)

    func fake(_ users: [FakeGoogle.User], publicKey: _RSA.Signing.PublicKey = key.publicKey, pageSize: Int = 2) -> FakeGoogle {
        FakeGoogle(publicKey: publicKey, users: users, pageSize: pageSize, now: clock.nowClosure)
    }

    func source(_ transport: any HTTPTransport, key: _RSA.Signing.PrivateKey = key, settings: [String: ConfigValue] = ["admin_email": .string("it-admin@acme.example")],
                credentials: [String: String] = [:], environment: [String: String]? = nil) throws -> GoogleWorkspaceSource {
        let env = environment ?? ["GOOGLE_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: key, keyID: Self.keyID)]
        return try GoogleWorkspaceSource(config: SourceConfig(id: "google", kind: "google_workspace", credentialVariables: credentials, settings: settings),
                                         environment: env, transport: transport, clock: clock)
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    @Test func usersAcrossPagesBecomeAccounts() async throws {
        // Given five users served two to a page
        let google = fake([
            FakeGoogle.User("ada@acme.example", isAdmin: true, lastLoginTime: "2026-02-27T16:04:05.123Z"),
            FakeGoogle.User("bob@acme.example", isDelegatedAdmin: true, isEnrolledIn2Sv: false, lastLoginTime: "2026-01-05T09:00:00.000Z"),
            FakeGoogle.User("cy@acme.example", suspended: true),
            FakeGoogle.User("dee@acme.example", archived: true, isEnrolledIn2Sv: nil),
            FakeGoogle.User("eve@acme.example"),
        ])
        // When the source reads accounts
        let accounts = try #require(try await source(google).facts([.accounts]).accounts)
        // Then every page was read with the documented parameters, and each user mapped
        #expect(google.calls.count == 3)
        #expect(google.calls[0] == "/admin/directory/v1/users?customer=my_customer&maxResults=500&projection=basic&orderBy=email")
        #expect(google.calls[1].hasSuffix("&pageToken=CkQK2") && google.calls[2].hasSuffix("&pageToken=CkQK4"))
        #expect(accounts.map(\.login) == ["ada@acme.example", "bob@acme.example", "cy@acme.example", "dee@acme.example", "eve@acme.example"])
        var ada = accounts[0]
        let adaLogin = try #require(ada.lastLoginAt)
        #expect(abs(adaLogin.timeIntervalSince1970 - 1_772_208_245.123) < 0.000_01)
        ada.lastLoginAt = nil
        #expect(ada == Account(system: "Google", login: "ada@acme.example", email: "ada@acme.example", active: true, mfaEnabled: true,
                               privileged: true, roles: ["super admin"]))
        #expect(accounts[1].roles == ["delegated admin"] && accounts[1].privileged && accounts[1].mfaEnabled == false)
        #expect(accounts[2].active == false && accounts[3].active == false && accounts[4].active)
        #expect(accounts[3].mfaEnabled == nil, "a user Google says nothing about has MFA unknown, not off")
        #expect(accounts[4].lastLoginAt == nil, "1970-01-01 is Google's 'never signed in'")
        #expect(!accounts[4].privileged && accounts[4].roles.isEmpty)
    }

    @Test func oneTokenServesSeveralCallsUntilShortlyBeforeItExpires() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example"), FakeGoogle.User("bob@acme.example"), FakeGoogle.User("cy@acme.example")])
        let source = try source(google)
        _ = try await source.facts([.accounts])
        _ = try await source.facts([.accounts])
        #expect(google.tokenRequests == 1)
        #expect(google.calls.count == 4)
        #expect(google.assertionHeaders.first == ["alg": "RS256", "typ": "JWT", "kid": Self.keyID])
        // 59 minutes on, the token has under a minute left: a new one is fetched before it runs out
        clock.advance(by: 59 * 60)
        _ = try await source.facts([.accounts])
        #expect(google.tokenRequests == 2)
    }

    @Test func anAssertionSignedByAnotherKeyIsRefused() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        let message = await failure { _ = try await source(google, key: Self.otherKey).facts([.accounts]) }
        #expect(google.refusals == ["invalid_grant"])
        #expect(message.contains("token request refused (HTTP 400 invalid_grant: Invalid JWT Signature.)"))
        #expect(!message.contains("PRIVATE KEY") && !message.contains("ya29"))
        #expect(google.calls.isEmpty, "no directory call without a token")
    }

    @Test func anAdminWithoutDelegationIsRefusedWithWhatToGrant() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        let message = await failure {
            _ = try await source(google, settings: ["admin_email": .string("someone-else@acme.example")]).facts([.accounts])
        }
        #expect(message.contains("unauthorized_client") && message.contains("domain-wide delegation for https://www.googleapis.com/auth/admin.directory.user.readonly"))
    }

    @Test func throttlingIsWaitedOut() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        google.failNext([.tooManyRequests(retryAfter: 3), .serverError(503)])
        let accounts = try await source(google).facts([.accounts]).accounts
        #expect(accounts?.count == 1)
        #expect(clock.waits == [3, 2], "Retry-After first, then the 2 s backoff of a second attempt")
    }

    @Test func aRetryAfterBeyondAMinuteIsReportedNotWaited() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        google.failNext([.tooManyRequests(retryAfter: 600)])
        let message = await failure { _ = try await source(google).facts([.accounts]) }
        #expect(message.contains("users.list: throttled (HTTP 429, Retry-After 600 s)"))
        #expect(clock.waits.isEmpty)
    }

    @Test func garbageIsAnErrorNeverAnEmptyDirectory() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        google.failNext([.malformed])
        let message = await failure { _ = try await source(google).facts([.accounts]) }
        #expect(message.contains("users.list: the answer is not a user list"))

        let badDate = fake([FakeGoogle.User("ada@acme.example", lastLoginTime: "last Tuesday")])
        await #expect(throws: SourceError.self) { try await source(badDate).facts([.accounts]) }

        let down = fake([FakeGoogle.User("ada@acme.example")])
        down.failNext([.serverError(500)])
        let downMessage = await failure { _ = try await source(down).facts([.accounts]) }
        #expect(downMessage.contains("users.list: HTTP 500"))
    }

    @Test func aRevokedTokenIsReplacedOnce() async throws {
        let google = fake([FakeGoogle.User("ada@acme.example")])
        let source = try source(google)
        _ = try await source.facts([.accounts])
        google.revokeTokens()
        let accounts = try await source.facts([.accounts]).accounts
        #expect(accounts?.count == 1 && google.tokenRequests == 2)
    }

    @Test func missingCredentialsAndSettingsSayWhatToSet() throws {
        let google = fake([])
        let noKey = refusal { _ = try source(google, environment: [:]) }
        #expect(noKey.contains("GOOGLE_SERVICE_ACCOUNT_KEY") && noKey.contains("settings.key_file"))

        let renamed = refusal { _ = try source(google, credentials: ["service_account_key": "ACME_GOOGLE_KEY"], environment: [:]) }
        #expect(renamed.contains("ACME_GOOGLE_KEY"))

        let keyFile = FakeGoogle.keyFile(privateKey: Self.key)
        let noAdmin = refusal { _ = try source(google, settings: [:], environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": keyFile]) }
        #expect(noAdmin.contains("settings.admin_email is required"))

        let secretish = #"{"type":"service_account","client_email":"x@y","private_key":"-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n"}"#
        let badKey = refusal { _ = try source(google, environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": secretish]) }
        #expect(badKey.contains("private_key that is not a PEM RSA private key") && !badKey.contains("TOPSECRET"))

        let notJSON = refusal { _ = try source(google, environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": "TOPSECRET-not-json"]) }
        #expect(notJSON.contains("is not a JSON key file") && !notJSON.contains("TOPSECRET"))

        let badURL = refusal {
            _ = try source(google, settings: ["admin_email": .string("it-admin@acme.example"), "base_url": .string("ftp://x")])
        }
        #expect(badURL.contains("base_url `ftp://x` is not an http(s) URL"))
    }

    @Test func theKeyCanComeFromAFileButTheVariableWins() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("google-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key.json").path
        try FakeGoogle.keyFile(privateKey: Self.key).write(toFile: path, atomically: true, encoding: .utf8)
        let google = fake([FakeGoogle.User("ada@acme.example")])
        let settings: [String: ConfigValue] = ["admin_email": .string("it-admin@acme.example"), "key_file": .string(path)]

        let fromFile = try await source(google, settings: settings, environment: [:]).facts([.accounts])
        #expect(fromFile.accounts?.count == 1)

        // The file now holds the wrong key; the variable's key is used instead
        try FakeGoogle.keyFile(privateKey: Self.otherKey).write(toFile: path, atomically: true, encoding: .utf8)
        let fromVariable = try await source(google, settings: settings,
                                            environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: Self.key)]).facts([.accounts])
        #expect(fromVariable.accounts?.count == 1)

        let missing = refusal { _ = try source(google, settings: ["admin_email": .string("a@b"), "key_file": .string(path + ".gone")], environment: [:]) }
        #expect(missing.contains("cannot read the service account key file"))
    }

    @Test func liveSourcesBuildsTheGoogleClient() throws {
        let config = SourceConfig(id: "google", kind: "google_workspace", settings: ["admin_email": .string("it-admin@acme.example")])
        let client = try SourceRegistry.client(for: config, environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: Self.key)],
                                            transport: fake([]), clock: TestClock())
        #expect(client is GoogleWorkspaceSource)
        #expect(SourceRegistry.liveKinds.contains("google_workspace"))
    }
}
