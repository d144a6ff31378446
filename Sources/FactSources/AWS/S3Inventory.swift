import Core
import Foundation
import HTTP

/// S3 buckets with their default encryption and whether the public can read them (CC6.1, CC6.6, CC6.7).
///
/// Encryption: `GetBucketEncryption`; a 404 `ServerSideEncryptionConfigurationNotFoundError` means none (older
/// accounts and emulators); since 2023 real AWS answers SSE-S3 (`AES256`) for every bucket, so SSE-S3 vs SSE-KMS is
/// the distinction that matters there. SSE-KMS counts as customer-managed only with a key of the customer's
/// (`KMSMasterKeyID` other than the AWS-managed `aws/s3`). Public, as AWS defines it ("The meaning of public"): a
/// bucket policy statement allowing `*` that its conditions do not pin to fixed values of the keys AWS lists, unless
/// the bucket's `RestrictPublicBuckets` neutralises it (`BlockPublicPolicy` only refuses new public policies; an
/// existing one stays in force); or an ACL granting AllUsers/AuthenticatedUsers, unless `IgnorePublicAcls`.
struct S3Inventory: Sendable {
    let client: AWSClient
    /// Buckets read at once (each costs five calls).
    var concurrency = 8

    func buckets() async throws -> [Bucket] {
        let names = try await PageTokens.collect(operation: "S3 ListBuckets", source: client.source, maxPages: AWSClient.maxPages) { token in
            let query = token.map { "continuation-token=\(SigV4Signer.encode($0, encodeSlash: true))&max-buckets=1000" }
            let response = try await client.send(service: "s3", region: "us-east-1", path: "/", query: query)
            guard response.status == 200 else { throw client.failure("S3 ListBuckets", response) }
            guard let xml = XMLElementNode.parse(response.body), xml.name == "ListAllMyBucketsResult" else {
                throw SourceError.unavailable(source: client.source, reason: "S3 ListBuckets: the answer is not a bucket list")
            }
            return (xml.all(path: ["Buckets", "Bucket"]).compactMap { $0.value("Name") }, xml.value("ContinuationToken"))
        }

        return try await boundedMap(names, limit: concurrency) { name in
            let region = try await self.location(of: name)
            let path = "/" + SigV4Signer.encode(name, encodeSlash: true)
            let encryption = try await self.encryption(path: path, region: region, name: name)
            let block = try await self.publicAccessBlock(path: path, region: region, name: name)
            let policyPublic = try await self.policyIsPublic(path: path, region: region, name: name)
            let aclPublic = try await self.aclIsPublic(path: path, region: region, name: name)
            let isPublic = (policyPublic && !block.restrictBuckets) || (aclPublic && !block.ignoreACLs)
            return Bucket(provider: "S3", name: name, encryption: encryption, isPublic: isPublic)
        }
    }

    private func location(of name: String) async throws -> String {
        if client.endpoint != nil { return "us-east-1" }
        let response = try await client.send(service: "s3", region: "us-east-1", path: "/" + SigV4Signer.encode(name, encodeSlash: true), query: "location")
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else { throw client.failure("S3 GetBucketLocation \(name)", response) }
        let constraint = xml.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return constraint.isEmpty ? "us-east-1" : (constraint == "EU" ? "eu-west-1" : constraint)
    }

    private func encryption(path: String, region: String, name: String) async throws -> Bucket.Encryption {
        let response = try await client.send(service: "s3", region: region, path: path, query: "encryption")
        if response.status == 404, AWSClient.errorCode(response) == "ServerSideEncryptionConfigurationNotFoundError" { return .none }
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else {
            throw client.failure("S3 GetBucketEncryption \(name)", response)
        }
        let algorithms = xml.descendants("SSEAlgorithm").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if algorithms.contains(where: { $0.hasPrefix("aws:kms") }) {
            // No key named (or the alias of the AWS-managed key): the AWS-managed `aws/s3` key, not the customer's.
            let keys = xml.descendants("KMSMasterKeyID").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            return keys.contains { !$0.isEmpty && !$0.hasSuffix("alias/aws/s3") } ? .customerManaged : .providerManaged
        }
        if algorithms.contains("AES256") { return .providerManaged }
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

    private func policyIsPublic(path: String, region: String, name: String) async throws -> Bool {
        let response = try await client.send(service: "s3", region: region, path: path, query: "policy")
        if response.status == 404 { return false }   // NoSuchBucketPolicy
        guard response.status == 200 else { throw client.failure("S3 GetBucketPolicy \(name)", response) }
        guard let policy = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw SourceError.unavailable(source: client.source, reason: "S3 GetBucketPolicy \(name): the policy is not JSON")
        }
        let statements = (policy["Statement"] as? [[String: Any]]) ?? ((policy["Statement"] as? [String: Any]).map { [$0] } ?? [])
        return statements.contains(where: Self.grantsThePublic)
    }

    /// Condition keys that, pinned to fixed values, make a statement for `*` non-public (AWS, "The meaning of
    /// public"; the principal keys pin the caller as a fixed principal does).
    static let restrictingKeys: Set<String> = [
        "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner", "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
    ]

    /// An `Allow` to everyone (`*`) whose conditions pin no restricting key to fixed values. A condition such as
    /// `aws:SecureTransport` or `aws:Referer` leaves it public.
    static func grantsThePublic(_ statement: [String: Any]) -> Bool {
        guard (statement["Effect"] as? String) == "Allow" else { return false }
        let principal = statement["Principal"]
        let everyone: Bool
        if let text = principal as? String { everyone = text == "*" }
        else if let map = principal as? [String: Any] {
            let aws = map["AWS"]
            everyone = (aws as? String) == "*" || ((aws as? [String])?.contains("*") ?? false)
        } else { everyone = false }
        guard everyone else { return false }
        let conditions = statement["Condition"] as? [String: Any] ?? [:]
        for (op, block) in conditions {
            let name = op.lowercased()
            // Negated operators, `Null`, `…IfExists` and `ForAllValues:` all hold when the key is absent from the
            // request, so they pin nothing for a caller who simply does not send it.
            guard !name.contains("not"), !name.hasPrefix("null"), !name.hasSuffix("ifexists"), !name.hasPrefix("forallvalues:"),
                  let block = block as? [String: Any] else { continue }
            for (key, value) in block where restrictingKeys.contains(key.lowercased()) {
                let values = (value as? [String]) ?? [(value as? String)].compactMap { $0 }
                let fixed = !values.isEmpty && values.allSatisfy { v in
                    !v.contains("*") && !v.contains("?") && !v.contains("${") && v != "0.0.0.0/0" && v != "::/0"
                }
                if fixed { return false }
            }
        }
        return true
    }

    private func aclIsPublic(path: String, region: String, name: String) async throws -> Bool {
        let response = try await client.send(service: "s3", region: region, path: path, query: "acl")
        guard response.status == 200, let xml = XMLElementNode.parse(response.body) else { throw client.failure("S3 GetBucketAcl \(name)", response) }
        let publicGroups = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"]
        return xml.descendants("URI").contains { publicGroups.contains($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
