import Core
import FactSources
import Foundation

extension StorageEncryptionCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "storage_encryption", summary: "every storage bucket is encrypted at rest", reads: [.buckets],
        parameters: [
            SettingSpec("require_kms", .bool, default: .bool(false), help: "require customer-managed keys, not provider-managed"),
        ], typicalCriteria: ["CC6.1", "CC6.7"])) { p in
        StorageEncryptionCheck(requireCustomerKeys: try p.bool("require_kms"))
    }
}

extension StoragePublicAccessCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "storage_public_access", summary: "no storage bucket is readable by the public", reads: [.buckets],
        typicalCriteria: ["CC6.6"])) { _ in StoragePublicAccessCheck() }
}

extension NetworkExposureCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "network_exposure", summary: "no firewall rule opens admin ports to the whole internet", reads: [.networkRules],
        parameters: [
            SettingSpec("ports", .numbers, default: .list([.number(22), .number(3389)]), help: "ports that must not be open to 0.0.0.0/0 or ::/0"),
        ], typicalCriteria: ["CC6.6"])) { p in
        NetworkExposureCheck(ports: try p.integers("ports"))
    }
}

extension AuditLoggingCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "audit_logging", summary: "a multi-region audit trail is logging", reads: [.auditTrails],
        typicalCriteria: ["CC7.2"])) { _ in AuditLoggingCheck() }
}

extension BranchProtectionCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "branch_protection", summary: "default branches are protected and require reviews", reads: [.repositories],
        parameters: [
            SettingSpec("required_reviews", .integer, default: .number(1), help: "minimum approving reviews"),
            SettingSpec("repositories", .strings, help: "repositories to check (default all)"),
        ], typicalCriteria: ["CC8.1"])) { p in
        BranchProtectionCheck(requiredReviews: try p.integer("required_reviews"), repositories: try p.strings(ifSet: "repositories"))
    }
}

extension DeviceEncryptionCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "device_encryption", summary: "every managed device has full-disk encryption on", reads: [.devices],
        typicalCriteria: ["CC6.7"])) { _ in DeviceEncryptionCheck() }
}

extension VulnerabilityCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "vulnerabilities", summary: "no open vulnerability or exposed secret older than allowed", reads: [.vulnerabilities],
        parameters: [
            .minSeverity(default: .critical),
            SettingSpec("max_age", .duration, default: .string("7d"), help: "how long one may stay open"),
        ], typicalCriteria: ["CC7.1", "CC7.2"])) { p in
        VulnerabilityCheck(minSeverity: try p.severity(), maxAge: try p.duration("max_age"))
    }
}
