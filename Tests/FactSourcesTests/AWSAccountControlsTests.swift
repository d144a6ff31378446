import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// The account-level AWS facts against moto: password policy, access-key age, RDS, KMS rotation, reading member
/// accounts through `assume_roles`, and dating failures from CloudTrail's event history. Each test works in a
/// member account of its own (moto keeps accounts apart), reached the way the bot reaches one: `AssumeRole`.
@Suite("AWS source: account controls on moto", .serialized)
struct AWSAccountControlsTests {
    func source(roles: [String], includeBase: Bool = false, transport: (any HTTPTransport)? = nil,
                extra: [String: ConfigValue] = [:]) throws -> AWSSource {
        let endpoint = try #require(Moto.endpoint, "SOC2BOT_TEST_MOTO_URL is not set: run the tests with scripts/test, which starts moto")
        var settings: [String: ConfigValue] = ["endpoint": .string(endpoint), "assume_roles": .list(roles.map(ConfigValue.string)),
                                               "include_base_account": .bool(includeBase)]
        settings.merge(extra) { _, new in new }
        return try AWSSource(config: SourceConfig(id: "aws", kind: "aws", credentialVariables: ["access_key_id": "K", "secret_access_key": "S"],
                                                  settings: settings),
                             environment: ["K": Moto.credentials.accessKeyID, "S": Moto.credentials.secretAccessKey],
                             transport: transport ?? RetryingTransport(base: URLSessionTransport(timeout: 10), clock: PeerTime.clock), clock: PeerTime.clock)
    }

    func run(_ type: String, _ source: AWSSource, parameters: [String: ConfigValue] = [:], at now: Date = PeerTime.now()) async -> [CheckResult] {
        let control = Control(id: ControlID(type), title: type, criteria: [Criterion("CC6.1")!], owner: "platform", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: type, sources: ["aws"], parameters: parameters), remediation: "fix it")
        return await ControlRunner(sources: [source]).run(control, at: now)
    }

    @Test func passwordPolicyMissingWeakAndStrong() async throws {
        let member = try await Moto.freshAccount()
        let source = try source(roles: [member.roleARN])
        // None set: the provider's defaults apply, which fails.
        var results = await run("password_policy", source)
        #expect(results.count == 1 && results[0].status == .fail && results[0].observed.contains("no password policy"))
        #expect(results[0].resource.id == "aws:password-policy:\(member.account)")

        _ = try await Moto.iam("UpdateAccountPasswordPolicy", [("MinimumPasswordLength", "8"), ("RequireSymbols", "true")], as: member.credentials)
        results = await run("password_policy", source)
        #expect(results.first?.status == .fail)
        #expect(results.first?.observed.contains("minimum length 8") == true)
        #expect(results.first?.observed.contains("does not require uppercase, lowercase, digits") == true)
        #expect(results.first?.observed.contains("password reuse allowed") == true)

        _ = try await Moto.iam("UpdateAccountPasswordPolicy", [
            ("MinimumPasswordLength", "16"), ("RequireSymbols", "true"), ("RequireNumbers", "true"), ("RequireUppercaseCharacters", "true"),
            ("RequireLowercaseCharacters", "true"), ("PasswordReusePrevention", "24"), ("MaxPasswordAge", "90"),
        ], as: member.credentials)
        results = await run("password_policy", source)
        #expect(results.first?.status == .pass, "\(results)")
        // Expiry asked for and set within it; asking for a shorter one fails.
        #expect(await run("password_policy", source, parameters: ["max_age": .string("90d")]).first?.status == .pass)
        #expect(await run("password_policy", source, parameters: ["max_age": .string("60d")]).first?.observed == "passwords expire after 90 days")
    }

    @Test func accessKeysOlderThanAllowedFailPerKey() async throws {
        let member = try await Moto.freshAccount()
        _ = try await Moto.iam("CreateUser", [("UserName", "deploy")], as: member.credentials)
        let created = try await Moto.iam("CreateAccessKey", [("UserName", "deploy")], as: member.credentials)
        let keyID = try #require(created.descendants("AccessKeyId").first?.text)
        let inactive = try await Moto.iam("CreateAccessKey", [("UserName", "deploy")], as: member.credentials)
        let inactiveID = try #require(inactive.descendants("AccessKeyId").first?.text)
        _ = try await Moto.iam("UpdateAccessKey", [("UserName", "deploy"), ("AccessKeyId", inactiveID), ("Status", "Inactive")], as: member.credentials)
        let source = try source(roles: [member.roleARN])

        let accounts = try #require(try await source.facts([.accounts]).accounts)
        let deploy = try #require(accounts.first { $0.login == "\(member.account)/deploy" }, "logins carry the account with assume_roles")
        // From the credential report, which names no key ids: a key is known by its user and creation time.
        #expect(deploy.accessKeys.count == 2 && deploy.accessKeys.allSatisfy { $0.id == nil })
        #expect(deploy.accessKeys.map(\.active).sorted { !$0 && $1 } == [false, true], "\(keyID), \(inactiveID): one active, one not")
        let createdAt = try #require(deploy.accessKeys.first { $0.active }?.createdAt)

        let today = await run("access_key_age", source)
        #expect(today.map(\.resource.id) == ["aws:key:\(member.account)/deploy/\(AccessKeyIdentity.stamp(createdAt))"], "only the active key is judged")
        #expect(today.first?.resource.name == "access key created \(TimeText.human(createdAt).prefix(10)) of \(member.account)/deploy (AWS)")
        #expect(today.first?.status == .pass)
        let later = await run("access_key_age", source, at: PeerTime.now().addingTimeInterval(91 * 86_400))
        let failure = try #require(later.first)
        #expect(failure.status == .fail && failure.observed.contains("due for rotation"))
        // The failure began when the key turned 90 days old, not when the bot looked.
        #expect(failure.failingSince == createdAt.addingTimeInterval(90 * 86_400))
    }

    @Test func rdsEncryptionAndPublicAccess() async throws {
        let member = try await Moto.freshAccount()
        func create(_ id: String, encrypted: Bool, public isPublic: Bool) async throws {
            _ = try await Moto.query(service: "rds", action: "CreateDBInstance", version: "2014-10-31", [
                ("DBInstanceIdentifier", id), ("DBInstanceClass", "db.t3.micro"), ("Engine", "postgres"), ("MasterUsername", "app"),
                ("MasterUserPassword", "not-a-real-password-1"), ("AllocatedStorage", "20"), ("StorageEncrypted", encrypted ? "true" : "false"),
                ("PubliclyAccessible", isPublic ? "true" : "false"),
            ], as: member.credentials)
        }
        try await create("orders", encrypted: true, public: false)
        try await create("legacy-reports", encrypted: false, public: true)
        let source = try source(roles: [member.roleARN])
        let encryption = Dictionary(uniqueKeysWithValues: await run("database_encryption", source).map { ($0.resource.id, $0) })
        #expect(encryption["aws rds:db:\(member.account)/us-east-1/orders"]?.status == .pass)
        let legacy = try #require(encryption["aws rds:db:\(member.account)/us-east-1/legacy-reports"])
        #expect(legacy.status == .fail && legacy.observed == "storage not encrypted (postgres)")
        let exposure = await run("database_public_access", source)
        #expect(exposure.filter { $0.status == .fail }.map(\.resource.id) == ["aws rds:db:\(member.account)/us-east-1/legacy-reports"])
    }

    @Test func kmsCustomerKeysMustRotate() async throws {
        let member = try await Moto.freshAccount()
        func key(_ body: [String: any Sendable]) async throws -> String {
            let created = try await Moto.json(service: "kms", target: "TrentService.CreateKey", body, as: member.credentials)
            return try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        }
        let rotating = try await key(["Description": "exports"])
        _ = try await Moto.json(service: "kms", target: "TrentService.EnableKeyRotation", ["KeyId": rotating], as: member.credentials)
        let stale = try await key(["Description": "customer-pii"])
        _ = try await Moto.json(service: "kms", target: "TrentService.CreateAlias", ["AliasName": "alias/customer-pii", "TargetKeyId": stale], as: member.credentials)
        let signing = try await key(["KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"])
        let retired = try await key(["Description": "old"])
        _ = try await Moto.json(service: "kms", target: "TrentService.DisableKey", ["KeyId": retired], as: member.credentials)

        let source = try source(roles: [member.roleARN])
        let keys = try #require(try await source.facts([.encryptionKeys]).encryptionKeys)
        #expect(Set(keys.map(\.id)) == Set([rotating, stale, signing].map { "us-east-1/\($0)" }), "disabled keys are left out")
        #expect(keys.first { $0.id.hasSuffix(signing) }?.rotatable == false)
        let results = await run("key_rotation", source)
        #expect(results.count == 2, "an asymmetric key cannot rotate and is not judged")
        let failing = try #require(results.first { $0.status == .fail })
        #expect(failing.resource.id == "aws kms:kms:us-east-1/\(stale)" && failing.resource.name.hasPrefix("alias/customer-pii"))
        #expect(results.contains { $0.status == .pass && $0.resource.id.hasSuffix(rotating) })
    }

    @Test func severalAccountsAreReadAndKeptApart() async throws {
        let first = try await Moto.freshAccount(), second = try await Moto.freshAccount()
        for member in [first, second] { _ = try await Moto.iam("CreateUser", [("UserName", "ops")], as: member.credentials) }
        _ = try await Moto.iam("UpdateAccountPasswordPolicy", [("MinimumPasswordLength", "20")], as: second.credentials)
        let source = try source(roles: [first.roleARN, second.roleARN])
        let facts = try await source.facts([.accounts, .passwordPolicies])
        let logins = Set(facts.accounts?.map(\.login) ?? [])
        #expect(logins.isSuperset(of: ["\(first.account)/ops", "\(second.account)/ops", "\(first.account)/<root_account>", "\(second.account)/<root_account>"]))
        #expect(facts.passwordPolicies?.map(\.account).sorted() == [first.account, second.account].sorted())
        #expect(facts.passwordPolicies?.first { $0.account == second.account }?.minimumLength == 20)
        #expect(facts.passwordPolicies?.first { $0.account == first.account }?.exists == false)
    }

    @Test func aMisnamedRoleIsRefusedAtSetUp() throws {
        #expect(throws: SourceError.self) { try source(roles: ["arn:aws:iam::12345:role/x"]) }
        #expect(throws: SourceError.self) { try source(roles: ["audit-role"]) }
    }

    @Test func failuresAreDatedFromCloudTrailHistoryWhenItCanTell() async throws {
        let member = try await Moto.freshAccount()
        let bucket = "soc2bot-exports-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Seed.put(bucket: bucket, as: member.credentials)
        try await S3Seed.makePublic(bucket: bucket, as: member.credentials)
        let changedAt = Date(timeIntervalSince1970: 1_795_000_000)
        let history = CloudTrailHistory(base: URLSessionTransport(timeout: 10), events: [
            bucket: [
                // Newest first, as LookupEvents answers: an unrelated read, then the call that made it public.
                ["EventName": "GetBucketPolicy", "EventTime": changedAt.timeIntervalSince1970 + 600, "Username": "auditor"],
                ["EventName": "PutBucketPolicy", "EventTime": changedAt.timeIntervalSince1970, "Username": "dana-r"],
            ],
        ])
        let source = try self.source(roles: [member.roleARN], transport: history)
        let results = await run("storage_public_access", source)
        let failure = try #require(results.first { $0.resource.id == "s3:\(bucket)" })
        #expect(failure.status == .fail)
        #expect(failure.failingSince == changedAt, "MTTD counts from the change, not from this run")
        #expect(failure.observed.contains("PutBucketPolicy by dana-r"))
        #expect(history.lookups.contains(bucket))

        // Without the history (moto has no LookupEvents; real accounts may deny it) the failure stands, undated,
        // and one unreadable answer ends the lookups for the run.
        let plain = try self.source(roles: [member.roleARN], transport: URLSessionTransport(timeout: 10))
        let undated = try #require(await run("storage_public_access", plain).first { $0.resource.id == "s3:\(bucket)" })
        #expect(undated.status == .fail && undated.failingSince == nil && !undated.observed.contains(" by "))
        // Lookups can be turned off.
        let off = CloudTrailHistory(base: URLSessionTransport(timeout: 10), events: [:])
        _ = await run("storage_public_access", try self.source(roles: [member.roleARN], transport: off, extra: ["change_lookups": ConfigValue.number(0)]))
        #expect(off.lookups.isEmpty)
    }
}

/// S3 seeding for one account (path-style, signed).
enum S3Seed {
    static func send(_ method: String, _ path: String, query: String? = nil, body: String = "", as credentials: AWSCredentials) async throws {
        let base = try #require(Moto.endpoint)
        var components = try #require(URLComponents(string: base))
        components.percentEncodedPath = path
        components.percentEncodedQuery = query
        var request = HTTPRequest(method: method, url: try #require(components.url), body: Data(body.utf8))
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3").sign(&request, at: PeerTime.now())
        let response = try await URLSessionTransport(timeout: 10).send(request)
        #expect((200..<300).contains(response.status), "\(method) \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
    }
    static func put(bucket: String, as credentials: AWSCredentials) async throws { try await send("PUT", "/\(bucket)", as: credentials) }
    static func makePublic(bucket: String, as credentials: AWSCredentials) async throws {
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::"# + bucket + #"/*"}]}"#
        try await send("PUT", "/\(bucket)", query: "policy", body: policy, as: credentials)
    }
}

/// CloudTrail's event history for a test: moto has no `LookupEvents`, so this transport answers that one operation
/// in its documented wire format (JSON 1.1, `Events` newest first, `EventTime` in epoch seconds) from a script
/// keyed by resource name, and passes every other request to moto untouched.
final class CloudTrailHistory: HTTPTransport {
    let base: any HTTPTransport
    let events: [String: [[String: any Sendable]]]
    private let seen = Mutex<[String]>([])
    var lookups: [String] { seen.withLock { $0 } }

    init(base: any HTTPTransport, events: [String: [[String: any Sendable]]]) { self.base = base; self.events = events }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.header("X-Amz-Target")?.hasSuffix(".LookupEvents") == true else { return try await base.send(request) }
        let body = try JSONSerialization.jsonObject(with: request.body) as? [String: Any]
        let attribute = (body?["LookupAttributes"] as? [[String: Any]])?.first
        guard attribute?["AttributeKey"] as? String == "ResourceName", let resource = attribute?["AttributeValue"] as? String else {
            return HTTPResponse(status: 400, body: Data(#"{"__type":"InvalidLookupAttributesException"}"#.utf8))
        }
        seen.withLock { $0.append(resource) }
        let answer = try JSONSerialization.data(withJSONObject: ["Events": events[resource] ?? []])
        return HTTPResponse(status: 200, headers: ["content-type": "application/x-amz-json-1.1"], body: answer)
    }
}
