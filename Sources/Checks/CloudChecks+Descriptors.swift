import Core
import FactSources
import Foundation

extension AccessKeyAgeCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "access_key_age", summary: "no active API access key is older than allowed; one result per key", reads: [.accounts],
        parameters: [
            SettingSpec("max_age", .duration, default: .string("90d"), help: "longest a key may live before rotation"),
            .systems,
        ], typicalCriteria: ["CC6.1"])) { p in
        AccessKeyAgeCheck(maxAge: try p.duration("max_age"), systems: try p.strings(ifSet: "systems"))
    }
}

extension PasswordPolicyCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "password_policy", summary: "the cloud account's password policy is strong enough (CIS AWS Foundations defaults)",
        reads: [.passwordPolicies],
        parameters: [
            SettingSpec("min_length", .integer, default: .number(14), help: "minimum password length"),
            SettingSpec("require_complexity", .bool, default: .bool(true), help: "require upper, lower, digit and symbol"),
            SettingSpec("reuse_prevention", .integer, default: .number(24), help: "previous passwords that may not be reused (0 to skip)"),
            SettingSpec("max_age", .duration, help: "longest a password may live (default: expiry not required)"),
        ], typicalCriteria: ["CC6.1"])) { p in
        PasswordPolicyCheck(minimumLength: try p.integer("min_length"),
                            requireComplexity: try p.bool("require_complexity"),
                            reusePrevention: try p.integer("reuse_prevention"),
                            maxAgeDays: try p.duration(ifSet: "max_age").map { Int($0 / 86_400) })
    }
}

extension DatabaseEncryptionCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "database_encryption", summary: "every managed database has storage encryption on", reads: [.databases],
        typicalCriteria: ["CC6.1", "CC6.7"])) { _ in DatabaseEncryptionCheck() }
}

extension DatabasePublicAccessCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "database_public_access", summary: "no managed database is reachable from the internet", reads: [.databases],
        typicalCriteria: ["CC6.6"])) { _ in DatabasePublicAccessCheck() }
}

extension KeyRotationCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "key_rotation", summary: "every customer-managed symmetric encryption key rotates automatically", reads: [.encryptionKeys],
        typicalCriteria: ["CC6.1"])) { _ in KeyRotationCheck() }
}

extension IntegrationHealthCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "integration_health", summary: "every source the bot reads could be read on its last attempt", reads: [.integrations],
        parameters: [
            SettingSpec("integrations", .strings, help: "source ids this control watches (default all)"),
        ], typicalCriteria: ["CC7.2"])) { p in
        IntegrationHealthCheck(integrations: try p.strings(ifSet: "integrations"))
    }
}

extension ImportedFindingsCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "imported_findings", summary: "findings imported from another scanner (OCSF, e.g. Prowler) pass; MANUAL and informational findings are left out",
        reads: [.findings],
        parameters: [
            SettingSpec("checks", .strings, help: "the scanner's check ids to take, `*` wildcards (default all)"),
            SettingSpec("compliance", .strings, help: "only findings mapped to these requirements, e.g. `SOC2:cc_6_1` or `SOC2`"),
            .minSeverity(default: .low),
        ], typicalCriteria: ["CC6.1", "CC6.6", "CC7.1"])) { p in
        ImportedFindingsCheck(checks: try p.strings(ifSet: "checks"), compliance: try p.strings(ifSet: "compliance"),
                              minSeverity: try p.severity())
    }
}
