import Core
import FactSources
import Foundation

/// A check type turned into a runnable test: facts in, one result per resource out. Pure.
package protocol ControlCheck: Sendable {
    /// The fact kinds the check needs.
    var reads: Set<FactKind> { get }
    /// Judges every resource in `facts` at time `now`. A missing kind in `facts` is a programming error upstream:
    /// the runner supplies every kind in `reads` or records an error without calling this.
    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult]
    /// Why a run that judged no resource at all is an error rather than a pass; nil (the default) when judging
    /// nothing is a pass (no bucket, no public bucket).
    var nothingToJudge: String? { get }
}

extension ControlCheck {
    package var nothingToJudge: String? { nil }
}

/// Builds the check for a control's `check:` spec.
package enum CheckFactory {
    package static func make(_ spec: CheckSpec) throws -> any ControlCheck {
        let p = CheckParameters(values: spec.parameters)
        switch spec.type {
        case "offboarding":
            return OffboardingCheck(sla: try p.duration("sla", default: 24 * 3_600), systems: try p.strings("systems"))
        case "access_review":
            guard let system = try p.strings("system")?.first, !system.isEmpty else {
                throw CheckError.badParameter(name: "system", reason: "name the account system reviewed, e.g. `GitHub`")
            }
            return AccessReviewCheck(system: system, every: try p.duration("every", default: 90 * 86_400))
        case "privileged_access":
            return PrivilegedAccessCheck(approved: Set((try p.strings("approved") ?? []).map { $0.lowercased() }), systems: try p.strings("systems"))
        case "unmatched_accounts":
            return UnmatchedAccountsCheck(systems: try p.strings("systems"), ignore: Set((try p.strings("ignore") ?? []).map { $0.lowercased() }))
        case "mfa":
            return MFACheck(systems: try p.strings("systems"), privilegedOnly: try p.bool("privileged_only", default: false))
        case "root_mfa":
            return RootMFACheck(systems: try p.strings("systems"))
        case "inactive_accounts":
            return InactiveAccountsCheck(maxIdle: try p.duration("max_idle", default: 90 * 86_400), systems: try p.strings("systems"))
        case "storage_encryption":
            return StorageEncryptionCheck(requireCustomerKeys: try p.bool("require_kms", default: false))
        case "storage_public_access":
            return StoragePublicAccessCheck()
        case "network_exposure":
            return NetworkExposureCheck(ports: try p.integers("ports") ?? [22, 3389])
        case "audit_logging":
            return AuditLoggingCheck()
        case "branch_protection":
            return BranchProtectionCheck(requiredReviews: try p.integer("required_reviews", default: 1),
                                         repositories: try p.strings("repositories"))
        case "training":
            return TrainingCheck(validFor: try p.duration("valid_for", default: 365 * 86_400),
                                 warnBefore: try p.duration("warn_before", default: 0),
                                 remindBefore: try p.duration("remind_before", default: 14 * 86_400),
                                 escalateBefore: try p.duration("escalate_before", default: 3 * 86_400))
        case "vendor_reports":
            return VendorReportCheck(validFor: try p.duration("valid_for", default: 365 * 86_400),
                                     tiers: try p.integers("tiers"),
                                     warnBefore: try p.duration("warn_before", default: 0))
        case "vendor_paperwork":
            return VendorPaperworkCheck(tiers: try p.integers("tiers"), requireDPA: try p.bool("require_dpa", default: false))
        case "device_encryption":
            return DeviceEncryptionCheck()
        case "vulnerabilities":
            return VulnerabilityCheck(minSeverity: try severity(p, default: .critical), maxAge: try p.duration("max_age", default: 7 * 86_400))
        case "access_key_age":
            return AccessKeyAgeCheck(maxAge: try p.duration("max_age", default: 90 * 86_400), systems: try p.strings("systems"))
        case "password_policy":
            return PasswordPolicyCheck(minimumLength: try p.integer("min_length", default: 14),
                                       requireComplexity: try p.bool("require_complexity", default: true),
                                       reusePrevention: try p.integer("reuse_prevention", default: 24),
                                       maxAgeDays: p.values["max_age"] == nil ? nil : Int(try p.duration("max_age", default: 0) / 86_400))
        case "database_encryption":
            return DatabaseEncryptionCheck()
        case "database_public_access":
            return DatabasePublicAccessCheck()
        case "key_rotation":
            return KeyRotationCheck()
        case "os_patch_level":
            let texts = try p.strings("releases") ?? []
            var releases: [OSRelease] = []
            for text in texts {
                guard let release = OSRelease.parse(text) else {
                    throw CheckError.badParameter(name: "releases", reason: "`\(text)` is not `<platform> <version> <release date>`, e.g. `macOS 15.2 2026-10-28`")
                }
                releases.append(release)
            }
            return OSPatchLevelCheck(releases: releases, grace: try p.duration("grace", default: 30 * 86_400))
        case "edr_present":
            let app = try p.strings("app")?.first, policy = try p.strings("policy")?.first
            guard app != nil || policy != nil else { throw CheckError.badParameter(name: "app", reason: "name the agent's app, or a device `policy` that checks it") }
            return EDRPresentCheck(app: app, policy: policy)
        case "screen_lock":
            return ScreenLockCheck(policy: try p.strings("policy")?.first)
        case "device_checkin":
            return DeviceCheckInCheck(maxSilence: try p.duration("max_silence", default: 14 * 86_400))
        case "policy_attestation":
            return PolicyAttestationCheck(policies: try p.strings("policies"),
                                          remindBefore: try p.duration("remind_before", default: 14 * 86_400),
                                          escalateBefore: try p.duration("escalate_before", default: 3 * 86_400))
        case "integration_health":
            return IntegrationHealthCheck(integrations: try p.strings("integrations"))
        case "imported_findings":
            return ImportedFindingsCheck(checks: try p.strings("checks"), compliance: try p.strings("compliance"),
                                         minSeverity: try severity(p, default: .low))
        default:
            throw CheckError.unknownCheckType(spec.type)
        }
    }

    /// The `min_severity` parameter.
    static func severity(_ p: CheckParameters, default fallback: Severity) throws -> Severity {
        guard let name = try p.strings("min_severity")?.first else { return fallback }
        guard let severity = Severity(rawValue: name) else { throw CheckError.badParameter(name: "min_severity", reason: "expected critical, high, medium or low") }
        return severity
    }

}
