import Core
import FactSources
import Foundation

extension OffboardingCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "offboarding", summary: "every account of a terminated person is disabled within the SLA", reads: [.people, .accounts],
        parameters: [
            SettingSpec("sla", .duration, default: .string("24h"), help: "time allowed after the termination date"),
            .systems,
            SettingSpec("early_notice", .bool, default: .bool(true),
                        help: "tell the owning team when the termination is recorded, with the accounts and the deadline, and escalate only if it passes; false: alert only once the SLA has passed"),
        ], typicalCriteria: ["CC6.2"])) { p in
        OffboardingCheck(sla: try p.duration("sla"), systems: try p.strings(ifSet: "systems"),
                         earlyNotice: try p.bool("early_notice"))
    }
}

extension UnmatchedAccountsCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "unmatched_accounts", summary: "every active account belongs to a person in HR (by e-mail or a manifest alias)", reads: [.people, .accounts],
        parameters: [
            .systems,
            SettingSpec("ignore", .strings, help: "service accounts to leave out: `login` or `system:login`"),
        ], typicalCriteria: ["CC6.2", "CC6.3"])) { p in
        UnmatchedAccountsCheck(systems: try p.strings(ifSet: "systems"), ignore: Set((try p.strings(ifSet: "ignore") ?? []).map { $0.lowercased() }))
    }
}

extension PrivilegedAccessCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "privileged_access", summary: "every admin account is approved in the manifests (new grants fail)", reads: [.accounts],
        parameters: [
            SettingSpec("approved", .strings, help: "approved admins as `system:login`, e.g. `github:dana-r`"),
            .systems,
        ], typicalCriteria: ["CC6.3"])) { p in
        PrivilegedAccessCheck(approved: Set((try p.strings(ifSet: "approved") ?? []).map { $0.lowercased() }), systems: try p.strings(ifSet: "systems"))
    }
}

extension AccessReviewCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "access_review", summary: "a system's access is certified by its reviewer every period (`/soc2 certify <system>`)",
        reads: [.accounts, .reviews],
        parameters: [
            SettingSpec("system", .string, required: true, help: "the account system reviewed, e.g. `GitHub`"),
            SettingSpec("every", .duration, default: .string("90d"), help: "how often it must be certified"),
            SettingSpec("reviewers", .strings, help: "person ids who may certify it (default: the security leads)"),
            SettingSpec("remind_before", .duration, default: .string("14d"), help: "DM the reviewers this long before the review is due"),
            SettingSpec("escalate_before", .duration, default: .string("3d"), help: "DM their managers too from this long before"),
        ], typicalCriteria: ["CC6.3"])) { p in
        guard let system = try p.string(ifSet: "system"), !system.isEmpty else {
            throw CheckError.badParameter(name: "system", reason: "name the account system reviewed, e.g. `GitHub`")
        }
        return AccessReviewCheck(system: system, every: try p.duration("every"), reviewers: try p.strings(ifSet: "reviewers") ?? [],
                                 remindBefore: try p.duration("remind_before"),
                                 escalateBefore: try p.duration("escalate_before"))
    }
}

extension MFACheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "mfa", summary: "every active account has MFA enabled", reads: [.accounts],
        parameters: [
            .systems,
            SettingSpec("privileged_only", .bool, default: .bool(false), help: "only check admin accounts"),
        ], typicalCriteria: ["CC6.1"])) { p in
        MFACheck(systems: try p.strings(ifSet: "systems"), privilegedOnly: try p.bool("privileged_only"))
    }
}

extension RootMFACheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "root_mfa", summary: "each cloud account's root user has MFA enabled (AWS)", reads: [.accounts],
        parameters: [.systems], typicalCriteria: ["CC6.1"])) { p in
        RootMFACheck(systems: try p.strings(ifSet: "systems"))
    }
}

extension InactiveAccountsCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "inactive_accounts", summary: "active accounts have been used recently", reads: [.accounts],
        parameters: [
            SettingSpec("max_idle", .duration, default: .string("90d"), help: "longest time without a login"),
            .systems,
        ], typicalCriteria: ["CC6.2", "CC6.3"])) { p in
        InactiveAccountsCheck(maxIdle: try p.duration("max_idle"), systems: try p.strings(ifSet: "systems"))
    }
}
