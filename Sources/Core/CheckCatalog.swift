import Foundation

/// The kinds of facts sources provide and checks read.
package enum FactKind: String, Codable, Sendable, CaseIterable {
    /// HR records: who works here, who left and when.
    case people
    /// Accounts in identity providers, code hosts and clouds: active, MFA, privileged, last login.
    case accounts
    /// Storage buckets: encryption, public access.
    case buckets
    /// Firewall / security group rules open to the internet.
    case networkRules = "network_rules"
    /// Audit trails (CloudTrail and the like): multi-region, logging.
    case auditTrails = "audit_trails"
    /// Code repositories: default-branch protection and required reviews.
    case repositories
    /// Security awareness training completions.
    case training
    /// Vendors and their SOC 2 reports.
    case vendors
    /// Laptops and desktops: disk encryption, OS version, last check-in.
    case devices
    /// Open vulnerabilities and exposed secrets.
    case vulnerabilities
    /// Access reviews certified from chat (`/soc2 certify`): kept in the bot's own evidence ledger.
    case reviews
    /// Account-wide password policies (IAM's account password policy).
    case passwordPolicies = "password_policies"
    /// Managed databases: storage encryption, public accessibility.
    case databases
    /// Customer-managed encryption keys: automatic rotation.
    case encryptionKeys = "encryption_keys"
    /// Findings imported from another scanner (OCSF Detection Findings, e.g. Prowler's `json-ocsf` output).
    case findings
    /// Whether each configured source could be read lately: the bot's own record of its integrations.
    case integrations
    /// Who attested to which policy when (`/soc2 attest`), for every person who must.
    case attestations

    /// The kinds the bot keeps itself (certified reviews, integration health, attestations): every control may read them.
    package static let botKept: Set<FactKind> = [.reviews, .integrations, .attestations]
    /// The kinds systems under watch provide (the demo world serves all of these).
    package static let external: [FactKind] = allCases.filter { !botKept.contains($0) }
}

/// One parameter a check type accepts.
package struct CheckParameter: Sendable {
    package enum Kind: String, Sendable { case duration, number, bool, string, strings, numbers }
    package var name: String
    package var kind: Kind
    package var required: Bool
    package var help: String
}

/// A check type of the catalog: what it reads and which parameters it takes. The `Checks` module implements each.
package struct CheckType: Sendable {
    package var name: String
    package var summary: String
    package var reads: [FactKind]
    package var parameters: [CheckParameter]
    /// Criteria it typically serves (documentation; the manifest's control says which it serves).
    package var typicalCriteria: [String]
}

/// Every check type the bot knows, by name. Manifests are validated against this list.
package enum CheckCatalog {
    package static let types: [CheckType] = [
        CheckType(name: "offboarding", summary: "every account of a terminated person is disabled within the SLA",
                  reads: [.people, .accounts], parameters: [
                    .init(name: "sla", kind: .duration, required: false, help: "time allowed after the termination date (default 24h)"),
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                  ], typicalCriteria: ["CC6.2"]),
        CheckType(name: "unmatched_accounts", summary: "every active account belongs to a person in HR (by e-mail or a manifest alias)",
                  reads: [.people, .accounts], parameters: [
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                    .init(name: "ignore", kind: .strings, required: false, help: "service accounts to leave out: `login` or `system:login`"),
                  ], typicalCriteria: ["CC6.2", "CC6.3"]),
        CheckType(name: "privileged_access", summary: "every admin account is approved in the manifests (new grants fail)",
                  reads: [.accounts], parameters: [
                    .init(name: "approved", kind: .strings, required: false, help: "approved admins as `system:login`, e.g. `github:dana-r`"),
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                  ], typicalCriteria: ["CC6.3"]),
        CheckType(name: "access_review", summary: "a system's access is certified by its reviewer every period (`/soc2 certify`)",
                  reads: [.accounts, .reviews], parameters: [
                    .init(name: "system", kind: .string, required: true, help: "the account system reviewed, e.g. `GitHub`"),
                    .init(name: "every", kind: .duration, required: false, help: "how often it must be certified (default 90d)"),
                    .init(name: "reviewers", kind: .strings, required: false, help: "person ids who may certify it (default: the security leads)"),
                  ], typicalCriteria: ["CC6.3"]),
        CheckType(name: "mfa", summary: "every active account has MFA enabled",
                  reads: [.accounts], parameters: [
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                    .init(name: "privileged_only", kind: .bool, required: false, help: "only check admin accounts (default false)"),
                  ], typicalCriteria: ["CC6.1"]),
        CheckType(name: "root_mfa", summary: "each cloud account's root user has MFA enabled (AWS)",
                  reads: [.accounts], parameters: [
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                  ], typicalCriteria: ["CC6.1"]),
        CheckType(name: "inactive_accounts", summary: "active accounts have been used recently",
                  reads: [.accounts], parameters: [
                    .init(name: "max_idle", kind: .duration, required: false, help: "longest time without a login (default 90d)"),
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                  ], typicalCriteria: ["CC6.2", "CC6.3"]),
        CheckType(name: "storage_encryption", summary: "every storage bucket is encrypted at rest",
                  reads: [.buckets], parameters: [
                    .init(name: "require_kms", kind: .bool, required: false, help: "require customer-managed keys, not provider-managed (default false)"),
                  ], typicalCriteria: ["CC6.1", "CC6.7"]),
        CheckType(name: "storage_public_access", summary: "no storage bucket is readable by the public",
                  reads: [.buckets], parameters: [], typicalCriteria: ["CC6.6"]),
        CheckType(name: "network_exposure", summary: "no firewall rule opens admin ports to the whole internet",
                  reads: [.networkRules], parameters: [
                    .init(name: "ports", kind: .numbers, required: false, help: "ports that must not be open to 0.0.0.0/0 or ::/0 (default 22, 3389)"),
                  ], typicalCriteria: ["CC6.6"]),
        CheckType(name: "audit_logging", summary: "a multi-region audit trail is logging",
                  reads: [.auditTrails], parameters: [], typicalCriteria: ["CC7.2"]),
        CheckType(name: "branch_protection", summary: "default branches are protected and require reviews",
                  reads: [.repositories], parameters: [
                    .init(name: "required_reviews", kind: .number, required: false, help: "minimum approving reviews (default 1)"),
                    .init(name: "repositories", kind: .strings, required: false, help: "repositories to check (default all)"),
                  ], typicalCriteria: ["CC8.1"]),
        CheckType(name: "training", summary: "everyone employed has current security training",
                  reads: [.people, .training], parameters: [
                    .init(name: "valid_for", kind: .duration, required: false, help: "how long a completion counts (default 365d)"),
                    .init(name: "warn_before", kind: .duration, required: false, help: "fail this long before expiry (default 0: only once lapsed)"),
                    .init(name: "remind_before", kind: .duration, required: false, help: "DM the person this long before their deadline (default 14d)"),
                    .init(name: "escalate_before", kind: .duration, required: false, help: "DM their manager too this long before it (default 3d)"),
                  ], typicalCriteria: ["CC1.4"]),
        CheckType(name: "vendor_reports", summary: "every vendor's SOC 2 report is current",
                  reads: [.vendors], parameters: [
                    .init(name: "valid_for", kind: .duration, required: false, help: "how long after the report period end it counts (default 365d)"),
                    .init(name: "tiers", kind: .numbers, required: false, help: "vendor tiers to check (default all)"),
                    .init(name: "warn_before", kind: .duration, required: false, help: "fail this long before the report expires (default 0)"),
                  ], typicalCriteria: ["CC9.2"]),
        CheckType(name: "vendor_paperwork", summary: "no vendor's security questionnaire is overdue (and, if required, every DPA is signed)",
                  reads: [.vendors], parameters: [
                    .init(name: "tiers", kind: .numbers, required: false, help: "vendor tiers to check (default all)"),
                    .init(name: "require_dpa", kind: .bool, required: false, help: "fail vendors without a signed DPA (default false)"),
                  ], typicalCriteria: ["CC9.2"]),
        CheckType(name: "device_encryption", summary: "every managed device has full-disk encryption on",
                  reads: [.devices], parameters: [], typicalCriteria: ["CC6.7"]),
        CheckType(name: "os_patch_level", summary: "every device runs an OS no older than the newest release that has been out longer than the grace period",
                  reads: [.devices], parameters: [
                    .init(name: "releases", kind: .strings, required: true, help: "releases as `<platform> <version> <date>`, e.g. `macOS 15.2 2026-10-28`"),
                    .init(name: "grace", kind: .duration, required: false, help: "time allowed to update after a release (default 30d)"),
                  ], typicalCriteria: ["CC7.1"]),
        CheckType(name: "edr_present", summary: "an EDR agent is installed and reporting on every device",
                  reads: [.devices], parameters: [
                    .init(name: "app", kind: .string, required: false, help: "part of the agent's app name, e.g. `Falcon`"),
                    .init(name: "policy", kind: .string, required: false, help: "a device policy that checks the agent (Fleet), e.g. `CrowdStrike running`"),
                  ], typicalCriteria: ["CC6.8", "CC7.2"]),
        CheckType(name: "screen_lock", summary: "screen lock is enforced on every device",
                  reads: [.devices], parameters: [
                    .init(name: "policy", kind: .string, required: false, help: "a device policy that checks it, where the system does not report it directly"),
                  ], typicalCriteria: ["CC6.1"]),
        CheckType(name: "device_checkin", summary: "every managed device has checked in recently",
                  reads: [.devices], parameters: [
                    .init(name: "max_silence", kind: .duration, required: false, help: "longest time without a check-in (default 14d)"),
                  ], typicalCriteria: ["CC7.1"]),
        CheckType(name: "vulnerabilities", summary: "no open vulnerability or exposed secret older than allowed",
                  reads: [.vulnerabilities], parameters: [
                    .init(name: "min_severity", kind: .string, required: false, help: "critical, high, medium or low (default critical)"),
                    .init(name: "max_age", kind: .duration, required: false, help: "how long one may stay open (default 7d)"),
                  ], typicalCriteria: ["CC7.1", "CC7.2"]),
        CheckType(name: "access_key_age", summary: "no active API access key is older than allowed",
                  reads: [.accounts], parameters: [
                    .init(name: "max_age", kind: .duration, required: false, help: "longest a key may live before rotation (default 90d)"),
                    .init(name: "systems", kind: .strings, required: false, help: "account systems to check (default all)"),
                  ], typicalCriteria: ["CC6.1"]),
        CheckType(name: "password_policy", summary: "the cloud account's password policy is strong enough (CIS defaults)",
                  reads: [.passwordPolicies], parameters: [
                    .init(name: "min_length", kind: .number, required: false, help: "minimum password length (default 14)"),
                    .init(name: "require_complexity", kind: .bool, required: false, help: "require upper, lower, digit and symbol (default true)"),
                    .init(name: "reuse_prevention", kind: .number, required: false, help: "previous passwords that may not be reused (default 24; 0 to skip)"),
                    .init(name: "max_age", kind: .duration, required: false, help: "longest a password may live (default: expiry not required)"),
                  ], typicalCriteria: ["CC6.1"]),
        CheckType(name: "database_encryption", summary: "every managed database has storage encryption on",
                  reads: [.databases], parameters: [], typicalCriteria: ["CC6.1", "CC6.7"]),
        CheckType(name: "database_public_access", summary: "no managed database is reachable from the internet",
                  reads: [.databases], parameters: [], typicalCriteria: ["CC6.6"]),
        CheckType(name: "key_rotation", summary: "every customer-managed symmetric encryption key rotates automatically",
                  reads: [.encryptionKeys], parameters: [], typicalCriteria: ["CC6.1"]),
        CheckType(name: "integration_health", summary: "every source the bot reads could be read on its last attempt",
                  reads: [.integrations], parameters: [
                    .init(name: "integrations", kind: .strings, required: false, help: "source ids this control watches (default all)"),
                  ], typicalCriteria: ["CC7.2"]),
        CheckType(name: "policy_attestation", summary: "everyone who must has attested to each policy within its cadence (`/soc2 attest`)",
                  reads: [.attestations], parameters: [
                    .init(name: "policies", kind: .strings, required: false, help: "policy ids this control watches (default all)"),
                    .init(name: "remind_before", kind: .duration, required: false, help: "DM the person this long before their deadline (default 14d)"),
                    .init(name: "escalate_before", kind: .duration, required: false, help: "DM their manager too this long before it (default 3d)"),
                  ], typicalCriteria: ["CC1.1", "CC2.2", "CC5.3"]),
        CheckType(name: "imported_findings", summary: "findings imported from another scanner (OCSF, e.g. Prowler) pass",
                  reads: [.findings], parameters: [
                    .init(name: "checks", kind: .strings, required: false, help: "the scanner's check ids to take, `*` wildcards (default all)"),
                    .init(name: "compliance", kind: .strings, required: false, help: "only findings mapped to these requirements, e.g. `SOC2:cc_6_1` or `SOC2`"),
                    .init(name: "min_severity", kind: .string, required: false, help: "critical, high, medium or low (default low)"),
                  ], typicalCriteria: ["CC6.1", "CC6.6", "CC7.1"]),
    ]

    package static func type(named name: String) -> CheckType? { types.first { $0.name == name } }
}

/// A kind of source the manifests may configure, and the facts it provides.
package struct SourceKind: Sendable {
    package var name: String
    package var provides: [FactKind]
    /// Credential roles it needs, each named by an environment variable in the manifests.
    package var credentials: [String]
    /// Credential roles it may take (a webhook's shared secret, a session token).
    package var optionalCredentials: [String] = []
    /// Every role the manifests may name for this kind.
    package var allCredentials: [String] { credentials + optionalCredentials }

    /// Every source kind the manifests may name. `demo` and `vendor_register` are built into the bot and the others
    /// have live clients (`LiveSources.kinds`; see `Bot.sources`). A source whose client cannot be set up reports an
    /// `error` on every check reading it, never a pass.
    package static let known: [SourceKind] = [
        .init(name: "demo", provides: FactKind.external, credentials: []),
        .init(name: "aws", provides: [.accounts, .buckets, .networkRules, .auditTrails, .passwordPolicies, .databases, .encryptionKeys], credentials: ["access_key_id", "secret_access_key"],
              optionalCredentials: ["session_token"]),
        .init(name: "github", provides: [.accounts, .repositories, .vulnerabilities], credentials: ["token"], optionalCredentials: ["webhook_secret"]),
        .init(name: "gitlab", provides: [.accounts, .repositories], credentials: ["token"]),
        .init(name: "okta", provides: [.accounts], credentials: ["token"], optionalCredentials: ["event_hook_secret"]),
        .init(name: "google_workspace", provides: [.accounts], credentials: ["service_account_key"]),
        .init(name: "entra", provides: [.accounts], credentials: ["client_id", "client_secret"]),
        .init(name: "bamboohr", provides: [.people], credentials: ["api_key"]),
        .init(name: "csv_hr", provides: [.people], credentials: []),
        .init(name: "jamf", provides: [.devices], credentials: ["client_id", "client_secret"]),
        .init(name: "intune", provides: [.devices], credentials: ["client_id", "client_secret"]),
        .init(name: "fleet", provides: [.devices], credentials: ["token"]),
        .init(name: "knowbe4", provides: [.training], credentials: ["token"]),
        .init(name: "csv_training", provides: [.training], credentials: []),
        .init(name: "vendor_register", provides: [.vendors], credentials: []),
        .init(name: "ocsf", provides: [.findings], credentials: []),
        .init(name: "gcp", provides: [.buckets, .networkRules, .auditTrails], credentials: ["service_account_key"]),
        .init(name: "azure", provides: [.buckets, .networkRules, .auditTrails], credentials: ["client_id", "client_secret"]),
    ]

    package static func named(_ name: String) -> SourceKind? { known.first { $0.name == name } }
}
