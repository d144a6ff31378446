import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// AWS read the way AWS wants to be read, against moto: IAM from the credential report and
/// GetAccountAuthorizationDetails (requests that do not grow with the users), S3 public status from AWS's own policy
/// judgement in three requests a bucket, and the side-by-side findings (a user named `root`, SSE-KMS with the AWS
/// managed key, security-group protocols, root MFA). Each IAM test works in a member account of its own.
@Suite("AWS source: bulk reads on moto", .serialized)
struct AWSBulkReadTests {
    func source(_ member: (account: String, roleARN: String, credentials: AWSCredentials), transport: (any HTTPTransport)? = nil) throws -> AWSSource {
        try AWSAccountControlsTests().source(roles: [member.roleARN], transport: transport)
    }

    func run(_ type: String, _ source: AWSSource, parameters: [String: ConfigValue] = [:]) async -> [CheckResult] {
        await AWSAccountControlsTests().run(type, source, parameters: parameters)
    }

    /// Console, MFA, keys and their last use come from the credential report; an IAM user named `root` is neither
    /// the root user nor lost beside it.
    @Test func theCredentialReportSaysConsoleMFAKeysAndLastUseAndAUserNamedRootIsItsOwnAccount() async throws {
        let member = try await Moto.freshAccount()
        func iam(_ action: String, _ parameters: [(String, String)]) async throws -> XMLElementNode {
            try await Moto.iam(action, parameters, as: member.credentials)
        }
        for user in ["root", "ana", "svc"] { _ = try await iam("CreateUser", [("UserName", user)]) }
        for user in ["root", "ana"] { _ = try await iam("CreateLoginProfile", [("UserName", user), ("Password", "Corr3ct-Horse-Battery!")]) }
        let device = try await iam("CreateVirtualMFADevice", [("VirtualMFADeviceName", "ana")])
        let serial = try #require(device.descendants("SerialNumber").first?.text)
        _ = try await iam("EnableMFADevice", [("UserName", "ana"), ("SerialNumber", serial), ("AuthenticationCode1", "123456"), ("AuthenticationCode2", "654321")])
        let used = try await iam("CreateAccessKey", [("UserName", "svc")])
        let usedID = try #require(used.descendants("AccessKeyId").first?.text), usedSecret = try #require(used.descendants("SecretAccessKey").first?.text)
        let idle = try await iam("CreateAccessKey", [("UserName", "svc")])
        let idleID = try #require(idle.descendants("AccessKeyId").first?.text)
        _ = try await iam("UpdateAccessKey", [("UserName", "svc"), ("AccessKeyId", idleID), ("Status", "Inactive")])
        // One call signed with the first key: AWS (and moto) record its last use.
        _ = try await Moto.iam("GetUser", [], as: AWSCredentials(accessKeyID: usedID, secretAccessKey: usedSecret))

        let source = try source(member)
        let accounts = try #require(try await source.facts([.accounts]).accounts)
        #expect(Set(accounts.map(\.login)).count == accounts.count, "every account has a login of its own")
        let byLogin = Dictionary(accounts.map { ($0.login, $0) }, uniquingKeysWith: { first, _ in first })
        let a = member.account
        let rootUser = try #require(byLogin["\(a)/<root_account>"]), namedRoot = try #require(byLogin["\(a)/root"])
        #expect(rootUser.privileged && rootUser.roles == ["root user"] && rootUser.mfaEnabled == false)
        #expect(!namedRoot.privileged && namedRoot.interactive && namedRoot.mfaEnabled == false && namedRoot.roles == ["console"])
        let ana = try #require(byLogin["\(a)/ana"])
        #expect(ana.interactive && ana.active && ana.mfaEnabled == true && ana.accessKeys.isEmpty)
        let svc = try #require(byLogin["\(a)/svc"])
        #expect(!svc.interactive && svc.active && svc.mfaEnabled == false && svc.roles == ["1 active access key"])
        // The report's two key slots, without ids (it names none): the used key active, the idle one not.
        #expect(svc.accessKeys.count == 2 && svc.accessKeys.allSatisfy { $0.id == nil }, "\(usedID), \(idleID)")
        #expect(svc.accessKeys.first { $0.active }?.lastUsedAt != nil, "the report's last use of the key")
        #expect(svc.accessKeys.first { !$0.active }?.lastUsedAt == nil)

        // Through the catalog: both `root`s are judged, apart.
        let mfa = await run("mfa", source)
        let ids = mfa.map(\.resource.id)
        #expect(Set(ids).count == ids.count && ids.contains("aws:\(a)/root") && ids.contains("aws:\(a)/<root_account>"))
        #expect(!ids.contains("aws:\(a)/svc"), "API-only: MFA does not apply")
    }

    /// IAM is read in requests that do not grow with the users: the report and the authorization details' pages —
    /// users with access keys too (the report gives each key's creation time, its identity). Admin through a group's
    /// inline policy, an inline policy of the user's own and a customer-managed policy are all found in the details.
    @Test func iamRequestsDoNotGrowWithTheUsers() async throws {
        let member = try await Moto.freshAccount()
        func iam(_ action: String, _ parameters: [(String, String)]) async throws -> XMLElementNode {
            try await Moto.iam(action, parameters, as: member.credentials)
        }
        let everything = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        let narrow = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        _ = try await iam("CreateGroup", [("GroupName", "admins")])
        _ = try await iam("PutGroupPolicy", [("GroupName", "admins"), ("PolicyName", "all"), ("PolicyDocument", everything)])
        _ = try await iam("CreateGroup", [("GroupName", "readers")])
        let breakGlass = try await iam("CreatePolicy", [("PolicyName", "break-glass"), ("PolicyDocument", everything)])
        let breakGlassARN = try #require(breakGlass.descendants("Arn").first?.text)
        var created = 0
        func addUsers(_ count: Int) async throws {
            for _ in 0..<count {
                let name = "user-\(created)"
                _ = try await iam("CreateUser", [("UserName", name)])
                _ = try await iam("CreateLoginProfile", [("UserName", name), ("Password", "Corr3ct-Horse-Battery!")])
                _ = try await iam("TagUser", [("UserName", name), ("Tags.member.1.Key", "email"), ("Tags.member.1.Value", "\(name)@example.com")])
                if created % 2 == 0 { _ = try await iam("CreateAccessKey", [("UserName", name)]) }
                switch created % 4 {
                case 0: _ = try await iam("AddUserToGroup", [("GroupName", "admins"), ("UserName", name)])
                case 1: _ = try await iam("PutUserPolicy", [("UserName", name), ("PolicyName", "own-admin"), ("PolicyDocument", everything)])
                case 2: _ = try await iam("AttachUserPolicy", [("UserName", name), ("PolicyArn", breakGlassARN)])
                default:
                    _ = try await iam("AddUserToGroup", [("GroupName", "readers"), ("UserName", name)])
                    _ = try await iam("PutUserPolicy", [("UserName", name), ("PolicyName", "exports"), ("PolicyDocument", narrow)])
                }
                created += 1
            }
        }
        func read() async throws -> (iam: Int, byAction: [String: Int], accounts: [Account]) {
            let counter = AWSRequestCounter(base: RetryingTransport(base: URLSessionTransport(timeout: 10), clock: PeerTime.clock))
            let accounts = try #require(try await source(member, transport: counter).facts([.accounts]).accounts)
            return (counter.requests(to: "iam"), counter.byAction, accounts)
        }

        try await addUsers(4)
        let few = try await read()
        try await addUsers(8)
        let many = try await read()
        #expect(many.accounts.count == 13 && few.accounts.count == 5)
        #expect(many.iam == few.iam, "IAM requests for 4 users: \(few.byAction); for 12: \(many.byAction)")
        #expect(many.byAction["iam GetAccountAuthorizationDetails"] == 1 && many.byAction["iam GetCredentialReport"] == 1)
        #expect(many.byAction["iam ListAccessKeys"] == nil, "keys come from the report: \(many.byAction)")

        let byLogin = Dictionary(many.accounts.map { ($0.login, $0) }, uniquingKeysWith: { first, _ in first })
        for i in 0..<12 {
            let user = try #require(byLogin["\(member.account)/user-\(i)"])
            #expect(user.privileged == (i % 4 != 3), "user-\(i): \(user.roles)")
            #expect(user.email == "user-\(i)@example.com" && user.interactive)
            #expect(user.accessKeys.map(\.active) == (i % 2 == 0 ? [true] : []), "user-\(i): \(user.accessKeys)")
        }
        #expect(byLogin["\(member.account)/user-1"]?.roles.contains("own-admin (inline)") == true)
        #expect(byLogin["\(member.account)/user-0"]?.roles.contains("all (group admins) (inline)") == true)
        #expect(byLogin["\(member.account)/user-2"]?.roles.contains("break-glass") == true)
        #expect(byLogin["\(member.account)/user-3"]?.roles == ["console", "exports (inline)"])
        #expect(byLogin["\(member.account)/user-2"]?.roles.contains("1 active access key") == true)
    }

    /// SSE-KMS with the AWS managed key is said as such, not as SSE-S3; a customer key is named.
    @Test func bucketEncryptionSaysWhichKey() async throws {
        let member = try await Moto.freshAccount()
        let prefix = "soc2bot-sse-\(UInt32.random(in: 0...UInt32.max))"
        let key = "arn:aws:kms:us-east-1:\(member.account):key/1234abcd-12ab-34cd-56ef-1234567890ab"
        for (suffix, rule) in [("s3", "<SSEAlgorithm>AES256</SSEAlgorithm>"), ("aws-kms", "<SSEAlgorithm>aws:kms</SSEAlgorithm>"),
                               ("own-kms", "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>\(key)</KMSMasterKeyID>")] {
            try await S3Seed.put(bucket: "\(prefix)-\(suffix)", as: member.credentials)
            try await S3Seed.send("PUT", "/\(prefix)-\(suffix)", query: "encryption", body: """
                <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>\
                \(rule)</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>
                """, as: member.credentials)
        }
        let results = Dictionary(await run("storage_encryption", try source(member)).map { ($0.resource.id, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(results["s3:\(prefix)-s3"]?.observed == "provider-managed keys (SSE-S3)")
        #expect(results["s3:\(prefix)-aws-kms"]?.observed == "provider-managed keys (SSE-KMS with the AWS managed key aws/s3)")
        #expect(results["s3:\(prefix)-own-kms"]?.observed == "customer-managed keys (SSE-KMS with the customer managed key \(key))")
        #expect(results.values.allSatisfy { $0.status == .pass })
    }

    /// A rule open to the internet is named by its protocol.
    @Test func securityGroupRulesNameTheirProtocol() async throws {
        let member = try await Moto.freshAccount()
        func ec2(_ parameters: [(String, String)]) async throws -> XMLElementNode {
            try await Moto.query(service: "ec2", action: parameters[0].1, version: "2016-11-15", Array(parameters.dropFirst()), as: member.credentials)
        }
        let group = try #require(try await ec2([("Action", "CreateSecurityGroup"), ("GroupName", "edge"), ("GroupDescription", "edge")]).value("groupId"))
        for (proto, from, to) in [("tcp", 22, 22), ("udp", 53, 53), ("icmp", -1, -1), ("-1", -1, -1)] {
            _ = try await ec2([("Action", "AuthorizeSecurityGroupIngress"), ("GroupId", group), ("IpPermissions.1.IpProtocol", proto),
                               ("IpPermissions.1.FromPort", "\(from)"), ("IpPermissions.1.ToPort", "\(to)"),
                               ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0")])
        }
        let source = try source(member)
        let rules = try #require(try await source.facts([.networkRules]).networkRules).filter { $0.id.contains(group) }
        #expect(Set(rules.compactMap(\.protocolName)) == ["TCP", "UDP", "ICMP", "all traffic"])
        let failing = await run("network_exposure", source, parameters: ["ports": .list([.number(22), .number(53)])])
            .filter { $0.status == .fail && $0.resource.id.contains(group) }.map(\.observed)
        #expect(Set(failing) == ["TCP port 22 open to 0.0.0.0/0", "UDP port 53 open to 0.0.0.0/0",
                                 "all traffic (all protocols and ports) open to 0.0.0.0/0"])
    }

    /// Root MFA has a check of its own: the root user of each account, and nothing else.
    @Test func rootMFAIsACheckOfItsOwn() async throws {
        let member = try await Moto.freshAccount()
        _ = try await Moto.iam("CreateUser", [("UserName", "root")], as: member.credentials)
        _ = try await Moto.iam("CreateLoginProfile", [("UserName", "root"), ("Password", "Corr3ct-Horse-Battery!")], as: member.credentials)
        let results = await run("root_mfa", try source(member))
        #expect(results.map(\.resource.id) == ["aws:\(member.account)/<root_account>"])
        #expect(results.first?.status == .fail && results.first?.observed == "MFA disabled")
    }
}

/// S3 in three requests a bucket, on AWS's documented wire format: the policy judged by AWS (`GetBucketPolicyStatus`),
/// the public access block read only for a bucket the policy or ACL opens, the ACL only when the policy leaves it open.
@Suite("AWS source: S3 requests a bucket")
struct AWSS3RequestTests {
    @Test func publicStatusComesFromThePolicyStatusAndTheBlockIsReadOnlyWhenItMatters() async throws {
        @Sendable func xml(_ body: String, status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, body: Data(body.utf8)) }
        let list = xml("<ListAllMyBucketsResult><Buckets><Bucket><Name>quiet</Name></Bucket><Bucket><Name>open</Name></Bucket><Bucket><Name>restricted</Name></Bucket><Bucket><Name>acl-open</Name></Bucket></Buckets></ListAllMyBucketsResult>")
        let transport = CannedTransport { target, _ in
            switch target {
            case "/": list
            case let t where t.hasSuffix("?encryption"): xml("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>")
            case "/quiet?policyStatus", "/acl-open?policyStatus": xml("<Error><Code>NoSuchBucketPolicy</Code></Error>", status: 404)
            case let t where t.hasSuffix("?policyStatus"): xml("<PolicyStatus><IsPublic>TRUE</IsPublic></PolicyStatus>")
            case "/acl-open?acl": xml("<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>")
            case let t where t.hasSuffix("?acl"): xml("<AccessControlPolicy><AccessControlList/></AccessControlPolicy>")
            case "/open?publicAccessBlock", "/acl-open?publicAccessBlock": xml("<Error><Code>NoSuchPublicAccessBlockConfiguration</Code></Error>", status: 404)
            case "/restricted?publicAccessBlock": xml("<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>")
            default: nil
            }
        }
        let source = try AWSSource(config: SourceConfig(id: "aws", kind: "aws", settings: ["endpoint": .string("http://127.0.0.1:9")]),
                                   environment: ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"], transport: transport, clock: TestClock())
        let buckets = Dictionary(uniqueKeysWithValues: try #require(try await source.facts([.buckets]).buckets).map { ($0.name, $0) })
        #expect(buckets["quiet"]?.isPublic == false && buckets["open"]?.isPublic == true && buckets["restricted"]?.isPublic == false)
        #expect(buckets["acl-open"]?.isPublic == true)
        #expect(buckets["quiet"]?.encryptionDetail == "SSE-S3")
        let perBucket = Dictionary(grouping: transport.seen.filter { $0 != "/" }, by: { String($0.split(separator: "?")[0]) }).mapValues(\.count)
        // A public policy without a block settles it (no ACL read); a restricted one leaves the ACL to read.
        #expect(perBucket == ["/quiet": 3, "/open": 3, "/restricted": 4, "/acl-open": 4])
    }

    /// A bucket's encryption and its public status are asked at once (two round trips a bucket, not three): here a
    /// bucket's encryption is answered only once its policy status has been asked, so reading them one after the
    /// other would wait for ever (the time limit fails it).
    @Test(.timeLimit(.minutes(1))) func aBucketsEncryptionAndPublicStatusAreAskedAtOnce() async throws {
        @Sendable func xml(_ body: String, status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, body: Data(body.utf8)) }
        let canned = CannedTransport { target, _ in
            switch target {
            case "/": xml("<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket><Bucket><Name>b</Name></Bucket></Buckets></ListAllMyBucketsResult>")
            case let t where t.hasSuffix("?encryption"): xml("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>")
            case let t where t.hasSuffix("?policyStatus"): xml("<Error><Code>NoSuchBucketPolicy</Code></Error>", status: 404)
            case let t where t.hasSuffix("?acl"): xml("<AccessControlPolicy><AccessControlList/></AccessControlPolicy>")
            default: nil
            }
        }
        let transport = HoldingTransport(base: canned) { target in
            target.hasSuffix("?encryption") ? String(target.dropLast("encryption".count)) + "policyStatus" : nil
        }
        let source = try AWSSource(config: SourceConfig(id: "aws", kind: "aws", settings: ["endpoint": .string("http://127.0.0.1:9")]),
                                   environment: ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"], transport: transport, clock: TestClock())
        let buckets = try #require(try await source.facts([.buckets]).buckets)
        #expect(buckets.map(\.name).sorted() == ["a", "b"] && buckets.allSatisfy { $0.encryption == .providerManaged && !$0.isPublic })
        #expect(canned.seen.filter { $0.hasPrefix("/a?") }.sorted() == ["/a?acl", "/a?encryption", "/a?policyStatus"])
    }
}

/// Passes requests to `base`, holding a request until the one `awaits` names for it has arrived.
private struct HoldingTransport: HTTPTransport {
    /// The requests seen, and those held until another arrives; a held request is let go when its task is cancelled
    /// (the time limit), so a failing test ends instead of hanging.
    actor Arrivals {
        private var seen: Set<String> = []
        private var waiting: [String: [(id: UUID, continuation: CheckedContinuation<Void, Never>)]] = [:]
        func arrive(_ target: String) {
            seen.insert(target)
            for waiter in waiting.removeValue(forKey: target) ?? [] { waiter.continuation.resume() }
        }
        func wait(for target: String) async {
            let id = UUID()
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if seen.contains(target) || Task.isCancelled { continuation.resume() } else { waiting[target, default: []].append((id, continuation)) }
                }
            } onCancel: {
                Task { await self.release(id, target) }
            }
        }
        private func release(_ id: UUID, _ target: String) {
            guard let index = waiting[target]?.firstIndex(where: { $0.id == id }) else { return }
            waiting[target]?.remove(at: index).continuation.resume()
        }
    }
    let base: CannedTransport
    let awaits: @Sendable (String) -> String?
    let arrivals = Arrivals()

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let target = (components?.percentEncodedPath ?? "") + (components?.percentEncodedQuery.map { "?" + $0 } ?? "")
        await arrivals.arrive(target)
        if let other = awaits(target) { await arrivals.wait(for: other) }
        return try await base.send(request)
    }
}
