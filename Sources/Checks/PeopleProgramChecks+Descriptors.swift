import Core
import FactSources
import Foundation

extension TrainingCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "training", summary: "everyone employed has current security training; before each person's deadline they are DMed, and their manager too near it",
        reads: [.people, .training],
        parameters: [
            SettingSpec("valid_for", .duration, default: .string("365d"), help: "how long a completion counts"),
            SettingSpec("warn_before", .duration, help: "fail this long before expiry (default: only once lapsed)"),
            SettingSpec("remind_before", .duration, default: .string("14d"), help: "DM the person this long before their deadline"),
            SettingSpec("escalate_before", .duration, default: .string("3d"), help: "DM their manager too this long before it"),
        ], typicalCriteria: ["CC1.4"])) { p in
        TrainingCheck(validFor: try p.duration("valid_for"),
                      warnBefore: try (p.duration(ifSet: "warn_before") ?? 0),
                      remindBefore: try p.duration("remind_before"),
                      escalateBefore: try p.duration("escalate_before"))
    }
}

extension VendorReportCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "vendor_reports", summary: "every vendor's SOC 2 report is current (the alert says how many days it had been expired)", reads: [.vendors],
        parameters: [
            SettingSpec("valid_for", .duration, default: .string("365d"), help: "how long after the report period end it counts"),
            SettingSpec("tiers", .numbers, help: "vendor tiers to check (default all)"),
            SettingSpec("warn_before", .duration, help: "fail this long before the report expires (default: only once expired)"),
            SettingSpec("remind_before", .duration, default: .string("30d"), help: "DM the vendor's owner this long before the report expires"),
            SettingSpec("escalate_before", .duration, default: .string("7d"), help: "DM the owner's manager too from this long before"),
        ], typicalCriteria: ["CC9.2"])) { p in
        VendorReportCheck(validFor: try p.duration("valid_for"), tiers: try p.integers(ifSet: "tiers"),
                          warnBefore: try (p.duration(ifSet: "warn_before") ?? 0),
                          remindBefore: try p.duration("remind_before"),
                          escalateBefore: try p.duration("escalate_before"))
    }
}

extension VendorPaperworkCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "vendor_paperwork", summary: "no vendor's security questionnaire is overdue (and, if required, every DPA is signed)", reads: [.vendors],
        parameters: [
            SettingSpec("tiers", .numbers, help: "vendor tiers to check (default all)"),
            SettingSpec("require_dpa", .bool, default: .bool(false), help: "fail vendors without a signed DPA"),
        ], typicalCriteria: ["CC9.2"])) { p in
        VendorPaperworkCheck(tiers: try p.integers(ifSet: "tiers"), requireDPA: try p.bool("require_dpa"))
    }
}

extension PolicyAttestationCheck {
    static let descriptor = CheckDescriptor(CheckType(
        name: "policy_attestation", summary: "everyone who must has attested to each policy within its cadence (`/soc2 attest <policy>`)",
        reads: [.attestations],
        parameters: [
            SettingSpec("policies", .strings, help: "policy ids this control watches (default all)"),
            SettingSpec("remind_before", .duration, default: .string("14d"), help: "DM the person this long before their deadline"),
            SettingSpec("escalate_before", .duration, default: .string("3d"), help: "DM their manager too this long before it"),
        ], typicalCriteria: ["CC1.1", "CC2.2", "CC5.3"])) { p in
        PolicyAttestationCheck(policies: try p.strings(ifSet: "policies"),
                               remindBefore: try p.duration("remind_before"),
                               escalateBefore: try p.duration("escalate_before"))
    }
}
