import Core
import Foundation

/// Cloud Storage buckets of each project with their encryption and public exposure (CC6.1, CC6.6, CC6.7).
///
/// - Listing: `GET storage/v1/b?project=P`, following `nextPageToken`.
/// - Encryption: Cloud Storage encrypts every object at rest, so a bucket is at least provider-managed; a default
///   Cloud KMS key (`encryption.defaultKmsKeyName`) makes it customer-managed (CMEK).
/// - Public: the bucket's IAM policy (`GET storage/v1/b/BUCKET/iam`) grants a role to `allUsers` or
///   `allAuthenticatedUsers` — for a bucket with fine-grained access its ACL shows there too, as the legacy bucket
///   roles — unless `iamConfiguration.publicAccessPrevention` is `enforced`, which blocks any such grant (the IAM
///   policy is then not read). Object-level ACLs are not read.
/// - Customer data: not reported (the S3 source has no tag convention for it either), so always false.
struct GCPStorageBuckets: Sendable {
    let client: GCPClient
    let projects: [String]

    private struct Page: Decodable {
        var kind: String?
        var items: [Item]?
        var nextPageToken: String?
    }

    private struct Item: Decodable {
        struct Encryption: Decodable { var defaultKmsKeyName: String? }
        struct IAMConfiguration: Decodable { var publicAccessPrevention: String? }
        var name: String
        var encryption: Encryption?
        var iamConfiguration: IAMConfiguration?
    }

    private struct Policy: Decodable {
        struct Binding: Decodable { var role: String; var members: [String]? }
        var bindings: [Binding]?
        var etag: String
    }

    /// Identities that mean "anyone": on the internet, or with any Google account.
    static let publicMembers: Set<String> = ["allUsers", "allAuthenticatedUsers"]

    func buckets() async throws -> [Bucket] {
        var buckets: [Bucket] = []
        for project in projects {
            let operation = "storage buckets.list \(project)"
            let items = try await PageTokens.collect(operation: operation, source: client.source, maxPages: GCPClient.maxPages) { token in
                var query = [URLQueryItem(name: "project", value: project), URLQueryItem(name: "maxResults", value: "1000")]
                if let token { query.append(URLQueryItem(name: "pageToken", value: token)) }
                let page = try await client.get(Page.self, base: client.storageURL, path: "/storage/v1/b", query: query, operation: operation)
                guard page.kind == "storage#buckets" || page.items != nil else {
                    throw SourceError.unavailable(source: client.source, reason: "\(operation): the answer is not a bucket list")
                }
                return (page.items ?? [], page.nextPageToken)
            }
            for item in items {
                let encryption: Bucket.Encryption = (item.encryption?.defaultKmsKeyName ?? "").isEmpty ? .providerManaged : .customerManaged
                // Enforced prevention overrides any grant, so the policy need not be read.
                let prevented = item.iamConfiguration?.publicAccessPrevention == "enforced"
                let isPublic = prevented ? false : try await grantsPublicAccess(item.name)
                buckets.append(Bucket(provider: "GCP", name: "\(project)/\(item.name)", encryption: encryption, isPublic: isPublic))
            }
        }
        return buckets
    }

    private func grantsPublicAccess(_ bucket: String) async throws -> Bool {
        let policy = try await client.get(Policy.self, base: client.storageURL, path: "/storage/v1/b/\(GCPClient.segment(bucket))/iam",
                                          operation: "storage buckets.getIamPolicy \(bucket)")
        return (policy.bindings ?? []).contains { !Self.publicMembers.isDisjoint(with: $0.members ?? []) }
    }
}
