import Core
import Foundation
import HTTP

/// S3 buckets with their default encryption and whether the public can read them (CC6.1, CC6.6, CC6.7), in three
/// requests a bucket (a fourth only for a bucket its ACL opens, or whose public policy is restricted while its ACLs
/// are not ignored).
///
/// Encryption: `GetBucketEncryption`; a 404 `ServerSideEncryptionConfigurationNotFoundError` means none (older
/// accounts and emulators); since 2023 real AWS answers SSE-S3 (`AES256`) for every bucket, so SSE-S3 vs SSE-KMS is
/// the distinction that matters there. SSE-KMS counts as customer-managed only with a key of the customer's
/// (`KMSMasterKeyID` other than the AWS-managed `aws/s3`), and the bucket says which (`encryptionDetail`). Public, as
/// AWS defines it ("The meaning of public"): AWS's own judgement of the bucket policy (`GetBucketPolicyStatus`;
/// no policy, not public) unless the bucket's `RestrictPublicBuckets` neutralises it (`BlockPublicPolicy` only
/// refuses new public policies; an existing one stays in force); or an ACL granting AllUsers/AuthenticatedUsers
/// (`GetBucketAcl`), unless `IgnorePublicAcls`. The public access block (`GetPublicAccessBlock`) is read only for a
/// bucket the policy or ACL would open, and the ACL only when the policy leaves the answer open. The region comes
/// with the bucket list (`BucketRegion`); `GetBucketLocation` only where the list lacks it.
///
/// A bucket's encryption is asked at the same time as its public status, so a bucket costs two round trips, not
/// three; `concurrency` buckets are read at once. The source's limiter (`max_concurrency`) bounds the requests in
/// flight: the rest wait their turn there, so the round trips overlap as far as the source allows.
struct S3Inventory: Sendable {
    let client: AWSClient
    /// Buckets read at once: enough to keep the limiter's largest `max_concurrency` busy with two requests a bucket
    /// in flight.
    var concurrency = 128

    func buckets() async throws -> [Bucket] {
        let listed = try await PageTokens.collect(operation: "S3 ListBuckets", source: client.source, maxPages: AWSClient.maxPages) { token in
            let query = token.map { "continuation-token=\(SigV4Signer.encode($0, encodeSlash: true))&max-buckets=1000" }
            let response = try await client.send(service: "s3", region: "us-east-1", path: "/", query: query)
            guard response.status == 200 else { throw client.failure("S3 ListBuckets", response) }
            guard let xml = XMLElementNode.parse(response.body), xml.name == "ListAllMyBucketsResult" else {
                throw SourceError.unavailable(source: client.source, reason: "S3 ListBuckets: the answer is not a bucket list")
            }
            let buckets = xml.all(path: ["Buckets", "Bucket"]).compactMap { bucket in
                bucket.value("Name").map { (name: $0, region: bucket.value("BucketRegion")) }
            }
            return (buckets, xml.value("ContinuationToken"))
        }

        return try await boundedMap(listed, limit: concurrency) { listed in
            let name = listed.name
            let region = try await self.location(of: name, listed: listed.region)
            let path = "/" + SigV4Signer.encode(name, encodeSlash: true)
            async let encrypted = self.encryption(path: path, region: region, name: name)
            // Public by policy unless RestrictPublicBuckets, else by ACL unless IgnorePublicAcls: each read only
            // when the answer so far leaves the question open.
            let isPublic: Bool
            if try await self.policyIsPublic(path: path, region: region, name: name) {
                let block = try await self.publicAccessBlock(path: path, region: region, name: name)
                isPublic = !block.restrictBuckets ? true
                    : (block.ignoreACLs ? false : try await self.aclIsPublic(path: path, region: region, name: name))
            } else if try await self.aclIsPublic(path: path, region: region, name: name) {
                isPublic = !(try await self.publicAccessBlock(path: path, region: region, name: name).ignoreACLs)
            } else {
                isPublic = false
            }
            let (encryption, detail) = try await encrypted
            return Bucket(provider: "S3", name: name, encryption: encryption, isPublic: isPublic, encryptionDetail: detail)
        }
    }

    private func location(of name: String, listed: String?) async throws -> String {
        if client.endpoint != nil { return "us-east-1" }
        if let listed, !listed.isEmpty { return listed }
        let response = try await client.send(service: "s3", region: "us-east-1", path: "/" + SigV4Signer.encode(name, encodeSlash: true), query: "location")
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else { throw client.failure("S3 GetBucketLocation \(name)", response) }
        let constraint = xml.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return constraint.isEmpty ? "us-east-1" : (constraint == "EU" ? "eu-west-1" : constraint)
    }

    /// The bucket's default encryption and how AWS names it.
    private func encryption(path: String, region: String, name: String) async throws -> (Bucket.Encryption, String?) {
        let response = try await client.send(service: "s3", region: region, path: path, query: "encryption")
        if response.status == 404, AWSClient.errorCode(response) == "ServerSideEncryptionConfigurationNotFoundError" { return (.none, nil) }
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else {
            throw client.failure("S3 GetBucketEncryption \(name)", response)
        }
        let algorithms = xml.descendants("SSEAlgorithm").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let kms = algorithms.first(where: { $0.hasPrefix("aws:kms") }) {
            let kind = kms == "aws:kms:dsse" ? "DSSE-KMS" : "SSE-KMS"
            // No key named (or the alias of the AWS-managed key): the AWS-managed `aws/s3` key, not the customer's.
            let keys = xml.descendants("KMSMasterKeyID").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let own = keys.first(where: { !$0.isEmpty && !$0.hasSuffix("alias/aws/s3") }) {
                return (.customerManaged, "\(kind) with the customer managed key \(own)")
            }
            return (.providerManaged, "\(kind) with the AWS managed key aws/s3")
        }
        if algorithms.contains("AES256") { return (.providerManaged, "SSE-S3") }
        throw SourceError.unavailable(source: client.source, reason: "S3 GetBucketEncryption \(name): no algorithm I recognise (\(algorithms))")
    }

    private struct Block { var ignoreACLs = false, restrictBuckets = false }

    private func publicAccessBlock(path: String, region: String, name: String) async throws -> Block {
        let response = try await client.send(service: "s3", region: region, path: path, query: "publicAccessBlock")
        if response.status == 404 { return Block() }   // NoSuchPublicAccessBlockConfiguration
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else {
            throw client.failure("S3 GetPublicAccessBlock \(name)", response)
        }
        func flag(_ element: String) -> Bool { xml.descendants(element).first?.text.trimmingCharacters(in: .whitespaces).lowercased() == "true" }
        return Block(ignoreACLs: flag("IgnorePublicAcls"), restrictBuckets: flag("RestrictPublicBuckets"))
    }

    /// AWS's judgement of the bucket policy (`GetBucketPolicyStatus`): no policy, not public.
    private func policyIsPublic(path: String, region: String, name: String) async throws -> Bool {
        let response = try await client.send(service: "s3", region: region, path: path, query: "policyStatus")
        if response.status == 404, AWSClient.errorCode(response) == "NoSuchBucketPolicy" { return false }
        guard response.status == 200 else { throw client.failure("S3 GetBucketPolicyStatus \(name)", response) }
        guard let xml = XMLElementNode.parse(response.body), xml.name == "PolicyStatus",
              let flag = xml.value("IsPublic")?.lowercased(), flag == "true" || flag == "false" else {
            throw SourceError.unavailable(source: client.source, reason: "S3 GetBucketPolicyStatus \(name): no IsPublic in the answer")
        }
        return flag == "true"
    }

    private func aclIsPublic(path: String, region: String, name: String) async throws -> Bool {
        let response = try await client.send(service: "s3", region: region, path: path, query: "acl")
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else { throw client.failure("S3 GetBucketAcl \(name)", response) }
        let publicGroups = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"]
        return xml.descendants("URI").contains { publicGroups.contains($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
