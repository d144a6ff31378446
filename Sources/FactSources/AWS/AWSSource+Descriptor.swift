import Core
import Foundation

extension AWSSource {
    /// Kind `aws`: what it reads, its credentials and its settings.
    package static let descriptor = SourceDescriptor(SourceKind(
        name: "aws",
        summary: "IAM users (MFA, access-key ages, last use) and root, the account password policy, S3, EC2 security groups, CloudTrail (and `LookupEvents` for who changed what), RDS instances, customer-managed KMS keys; SigV4. Policy: `SecurityAudit` (plus `sts:AssumeRole` on `assume_roles`)",
        provides: [.accounts, .buckets, .networkRules, .auditTrails, .passwordPolicies, .databases, .encryptionKeys],
        credentials: [
            CredentialRole("access_key_id", default: "AWS_ACCESS_KEY_ID", help: "the access key id of a read-only IAM user or role"),
            CredentialRole("secret_access_key", default: "AWS_SECRET_ACCESS_KEY", help: "its secret access key"),
            CredentialRole("session_token", required: false, default: "AWS_SESSION_TOKEN", help: "a session token, for temporary credentials (read when set)"),
        ],
        settings: [
            SettingSpec("regions", .strings, default: .list([.string("us-east-1")]), help: "regions to read (global services are read once)"),
            SettingSpec("endpoint", .url, help: "an emulator's URL, e.g. `http://127.0.0.1:5000` (default: the variable `AWS_ENDPOINT_URL`, else AWS)"),
            SettingSpec("assume_roles", .strings, help: "role ARNs in member accounts, read too"),
            SettingSpec("external_id", .string, help: "the external id the member roles require"),
            SettingSpec("include_base_account", .bool, default: .bool(true), help: "also read the account the credentials belong to"),
            SettingSpec("change_lookups", .integer, default: .number(20), range: 0...10_000, help: "CloudTrail `LookupEvents` calls per run to date failing resources (0 turns them off)"),
            SettingSpec("max_concurrency", .integer, default: .number(64), range: Double(SourceLimits.concurrencyRange.lowerBound)...Double(SourceLimits.concurrencyRange.upperBound),
                        help: "requests to AWS in flight at once, across all of a step's reads (64 by default: enough to overlap a real round trip of about 30 ms per request; see docs/performance.md)"),
        ]), factory: { try AWSSource(config: $0, environment: $1, transport: $2, clock: $3) })
}
