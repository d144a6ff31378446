import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// The S3 inventory against moto (started by scripts/test without signature checks), seeded through our own
/// signed client: encryption none / SSE-S3 / SSE-KMS, public by policy, public by ACL, and a public policy
/// neutralised by a public access block.
@Suite("AWS source: S3 buckets on moto", .serialized)
struct AWSS3SourceTests {
    static let endpoint = ProcessInfo.processInfo.environment["SOC2BOT_TEST_MOTO_URL"]
    static let credentials = AWSCredentials(accessKeyID: "AKIDSOC2BOTTEST", secretAccessKey: "test-secret")

    /// A signed S3 call to moto (seeding).
    func s3(_ method: String, _ path: String, query: String? = nil, headers: [(name: String, value: String)] = [], body: String = "") async throws -> HTTPResponse {
        let base = try #require(Self.endpoint, "SOC2BOT_TEST_MOTO_URL is not set: run the tests with scripts/test, which starts moto")
        var components = try #require(URLComponents(string: base))
        components.percentEncodedPath = path
        components.percentEncodedQuery = query
        var request = HTTPRequest(method: method, url: try #require(components.url), headers: headers, body: Data(body.utf8))
        SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3").sign(&request, at: PeerTime.now())
        let response = try await URLSessionTransport(timeout: 10).send(request)
        #expect((200..<300).contains(response.status), "\(method) \(path)?\(query ?? ""): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        return response
    }

    func source() throws -> AWSSource {
        let endpoint = try #require(Self.endpoint, "SOC2BOT_TEST_MOTO_URL is not set: run the tests with scripts/test, which starts moto")
        return try AWSSource(config: SourceConfig(id: "aws", kind: "aws", credentialVariables: ["access_key_id": "K", "secret_access_key": "S"],
                                                  settings: ["endpoint": .string(endpoint)]),
                             environment: ["K": Self.credentials.accessKeyID, "S": Self.credentials.secretAccessKey],
                             transport: RetryingTransport(base: URLSessionTransport(timeout: 10), clock: PeerTime.clock), clock: PeerTime.clock)
    }

    @Test func bucketsAreReadWithTheirEncryptionAndPublicExposure() async throws {
        let prefix = "soc2bot-\(UInt32.random(in: 0...UInt32.max))"
        let names = ["plain", "sse-s3", "kms", "public-policy", "public-acl", "blocked", "kms-own-key", "tls-only", "vpce-only", "block-new-only"]
            .map { "\(prefix)-\($0)" }
        for name in names { _ = try await s3("PUT", "/\(name)") }
        func encrypt(_ bucket: String, _ algorithm: String, key: String? = nil) async throws {
            _ = try await s3("PUT", "/\(bucket)", query: "encryption", body: """
                <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>\
                <SSEAlgorithm>\(algorithm)</SSEAlgorithm>\(key.map { "<KMSMasterKeyID>\($0)</KMSMasterKeyID>" } ?? "")\
                </ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>
                """)
        }
        try await encrypt(names[1], "AES256")
        try await encrypt(names[2], "aws:kms")   // the AWS-managed aws/s3 key
        try await encrypt(names[6], "aws:kms", key: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        let publicPolicy = { (bucket: String, condition: String) in
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucket)/*"\#(condition)}]}"#
        }
        _ = try await s3("PUT", "/\(names[3])", query: "policy", body: publicPolicy(names[3], ""))
        _ = try await s3("PUT", "/\(names[4])", query: "acl", headers: [("x-amz-acl", "public-read")])
        _ = try await s3("PUT", "/\(names[5])", query: "policy", body: publicPolicy(names[5], ""))
        // Conditions that leave a grant to everyone public to AWS (TLS only) and one that does not (one VPC endpoint).
        _ = try await s3("PUT", "/\(names[7])", query: "policy", body: publicPolicy(names[7], #","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#))
        _ = try await s3("PUT", "/\(names[8])", query: "policy", body: publicPolicy(names[8], #","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#))
        // BlockPublicPolicy refuses new public policies but leaves the existing one in force.
        _ = try await s3("PUT", "/\(names[9])", query: "policy", body: publicPolicy(names[9], ""))
        _ = try await s3("PUT", "/\(names[9])", query: "publicAccessBlock", body: """
            <PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicPolicy>true</BlockPublicPolicy>\
            </PublicAccessBlockConfiguration>
            """)
        _ = try await s3("PUT", "/\(names[5])", query: "publicAccessBlock", body: """
            <PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls>\
            <IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>\
            </PublicAccessBlockConfiguration>
            """)

        let facts = try await source().facts([.buckets])
        let buckets = Dictionary(uniqueKeysWithValues: (facts.buckets ?? []).filter { $0.name.hasPrefix(prefix) }.map { ($0.name, $0) })
        #expect(buckets.count == names.count)
        #expect(buckets[names[0]]?.encryption == Bucket.Encryption.none)
        #expect(buckets[names[1]]?.encryption == .providerManaged)
        #expect(buckets[names[2]]?.encryption == .providerManaged)
        #expect(buckets[names[6]]?.encryption == .customerManaged)
        #expect(buckets[names[0]]?.isPublic == false)
        #expect(buckets[names[3]]?.isPublic == true)
        #expect(buckets[names[4]]?.isPublic == true)
        #expect(buckets[names[5]]?.isPublic == false)
        // names[7] (public but for TLS only) is public to AWS's GetBucketPolicyStatus, which the reader now asks; moto's
        // stand-in for it counts any statement with a condition as not public, so moto cannot tell that case.
        #expect(buckets[names[8]]?.isPublic == false)
        #expect(buckets[names[9]]?.isPublic == true)

        // End to end through the control catalog: the unencrypted bucket fails, the KMS one passes.
        let control = Control(id: "s3-encryption", title: "Buckets encrypted", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "storage_encryption", sources: ["aws"]), remediation: "enable SSE-KMS")
        let results = await ControlRunner(sources: [try source()]).run(control, at: PeerTime.now())
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) })
        #expect(byName["s3:\(names[0])"] == .fail)
        #expect(byName["s3:\(names[2])"] == .pass)
        #expect(byName["s3:\(names[6])"] == .pass)
    }

    @Test func kindsAWSDoesNotHaveAreAnErrorNotAnEmptyAnswer() async throws {
        await #expect(throws: SourceError.self) { try await source().facts([.devices]) }
    }
}
