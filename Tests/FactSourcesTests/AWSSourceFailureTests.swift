import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

@Suite("AWS source: bad answers")
struct AWSSourceFailureTests {
    func source(_ transport: CannedTransport, environment: [String: String] = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"]) throws -> AWSSource {
        try AWSSource(config: SourceConfig(id: "aws", kind: "aws", settings: ["endpoint": .string("http://127.0.0.1:9")]),
                      environment: environment, transport: transport, clock: TestClock())
    }

    func xml(_ body: String, status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, body: Data(body.utf8)) }

    /// The error reading `kinds` gives when AWS answers `answer` (a failed expectation when it succeeds).
    func error(reading kinds: Set<FactKind>, answer: HTTPResponse) async -> String {
        await error(reading: kinds, from: CannedTransport([answer]))
    }

    /// IAM's GetAccountAuthorizationDetails answered with `pages` in order, every other request with a 500: reading
    /// accounts sends it, the credential report and the account summary at once, so answers given in order would go
    /// to whichever request came first.
    func authorizationDetails(_ pages: [HTTPResponse]) -> CannedTransport {
        let remaining = Mutex(pages)
        return CannedTransport { _, request in
            guard AWSRequestCounter.action(of: request) == "iam GetAccountAuthorizationDetails" else { return nil }
            return remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    func error(reading kinds: Set<FactKind>, from transport: CannedTransport) async -> String {
        do {
            _ = try await source(transport).facts(kinds)
            Issue.record("expected an error")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func missingCredentialsNameTheVariables() {
        do {
            _ = try source(CannedTransport([]), environment: [:])
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("AWS_ACCESS_KEY_ID") && "\(error)".contains("AWS_SECRET_ACCESS_KEY"))
        }
    }

    @Test func anAccessDeniedSaysWhatWasRefused() async throws {
        let denied = xml("<Error><Code>AccessDenied</Code><Message>no</Message><RequestId>R123</RequestId></Error>", status: 403)
        #expect(await error(reading: [.buckets], answer: denied).contains("S3 ListBuckets: HTTP 403 AccessDenied (request id R123)"))
    }

    /// An IAM list that says it is truncated but gives no marker would silently drop users: an error instead.
    @Test func aTruncatedIAMPageWithoutAMarkerIsAnError() async throws {
        let truncated = xml("<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult><UserDetailList><member><UserName>a</UserName><Arn>arn:aws:iam::123456789012:user/a</Arn></member></UserDetailList><IsTruncated>true</IsTruncated></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>")
        #expect(await error(reading: [.accounts], from: authorizationDetails([truncated])).contains("IAM GetAccountAuthorizationDetails: a truncated page without a Marker"))
    }

    @Test func bucketListsAreFollowedAcrossPages() async throws {
        let page1 = xml("<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket></Buckets><ContinuationToken>t/2</ContinuationToken></ListAllMyBucketsResult>")
        let page2 = xml("<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name></Bucket></Buckets></ListAllMyBucketsResult>")
        let noEncryption = xml("<Error><Code>ServerSideEncryptionConfigurationNotFoundError</Code></Error>", status: 404)
        let noBlock = xml("<Error><Code>NoSuchPublicAccessBlockConfiguration</Code></Error>", status: 404)
        let noPolicy = xml("<Error><Code>NoSuchBucketPolicy</Code></Error>", status: 404)
        let privateACL = xml("<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>owner</ID></Grantee></Grant></AccessControlList></AccessControlPolicy>")
        // The two buckets are read concurrently, so their requests are answered by what they ask, not by order.
        let transport = CannedTransport { target, _ in
            switch target {
            case "/": page1
            case let t where t.hasPrefix("/?continuation-token=t%2F2"): page2
            case let t where t.hasSuffix("?encryption"): noEncryption
            case let t where t.hasSuffix("?publicAccessBlock"): noBlock
            case let t where t.hasSuffix("?policyStatus"): noPolicy
            case let t where t.hasSuffix("?acl"): privateACL
            default: nil
            }
        }
        let facts = try await source(transport).facts([.buckets])
        #expect(facts.buckets?.map(\.name) == ["a", "b"])
        #expect(transport.seen[1].hasPrefix("/?continuation-token=t%2F2"))
        #expect(transport.seen.filter { $0.hasPrefix("/a?") || $0.hasPrefix("/b?") }.sorted() == ["/a?acl", "/a?encryption", "/a?policyStatus", "/b?acl", "/b?encryption", "/b?policyStatus"],
                "each bucket read once per setting, three requests a bucket: no public access block for a bucket nothing opens")
    }

    /// A list whose next-page marker comes round again would never end: an error, not an endless run.
    @Test func aMarkerThatComesRoundAgainIsAnError() async throws {
        let page = xml("<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult><UserDetailList/><IsTruncated>true</IsTruncated><Marker>m1</Marker></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>")
        #expect(await error(reading: [.accounts], from: authorizationDetails([page, page, page])).contains("IAM GetAccountAuthorizationDetails: the same page token came back twice"))
        let looping = CannedTransport { _, _ in self.xml("<ListAllMyBucketsResult><Buckets/><ContinuationToken>t</ContinuationToken></ListAllMyBucketsResult>") }
        #expect(await error(reading: [.buckets], from: looping).contains("S3 ListBuckets: the same page token came back twice"))
    }

    /// An IAM list answered with well-formed XML that lacks its result element is an error, never an empty list
    /// (which would make every IAM account vanish and resolve their alerts).
    @Test func anIAMListWithoutItsResultIsAnError() async throws {
        let empty = xml("<GetAccountAuthorizationDetailsResponse><ResponseMetadata><RequestId>R1</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>")
        #expect(await error(reading: [.accounts], from: authorizationDetails([empty])).contains("IAM GetAccountAuthorizationDetails: the answer has no GetAccountAuthorizationDetailsResult"))
    }

    /// KMS refuses a `ListAliases` page larger than 100 (ValidationException), though `ListKeys` takes 1,000.
    @Test func kmsListsAskForPagesKMSAllows() async throws {
        let transport = CannedTransport { _, request in
            let target = request.header("X-Amz-Target") ?? ""
            let limit = ((try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any])?["Limit"] as? Int ?? 0
            let most = target.hasSuffix("ListAliases") ? 100 : 1_000
            guard (1...most).contains(limit) else {
                return HTTPResponse(status: 400, body: Data(#"{"__type":"ValidationException","message":"1 validation error detected: Value at 'limit' failed to satisfy constraint"}"#.utf8))
            }
            switch target {
            case "TrentService.ListKeys": return HTTPResponse(status: 200, body: Data(#"{"Keys":[],"Truncated":false}"#.utf8))
            case "TrentService.ListAliases": return HTTPResponse(status: 200, body: Data(#"{"Aliases":[],"Truncated":false}"#.utf8))
            default: return nil
            }
        }
        let facts = try await source(transport).facts([.encryptionKeys])
        #expect(facts.encryptionKeys == [])
    }
}
