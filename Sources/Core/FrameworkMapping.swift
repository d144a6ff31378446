import Foundation

/// The default mapping of each catalog check type to the criteria of the frameworks other than SOC 2 (SOC 2's are the
/// control's own `criteria:`). A control's `frameworks:` in the manifests replaces the default for a framework it names.
/// Every id is listed in `FrameworkCatalog` (a test checks it) — see there for the documents they come from. Each row
/// says why: what the check proves, and which requirement asks for it. Kept apart from the check catalog so a mapping
/// can change without touching what a check does.
package enum FrameworkMapping {
    /// One check type's criteria per framework.
    package struct Row: Sendable {
        package var iso27001: [String]
        package var hipaa: [String]
        package var pci: [String]
        package var cis: [String]

        package func criteria(in framework: Framework) -> [String] {
            switch framework {
            case .soc2: []
            case .iso27001: iso27001
            case .hipaa: hipaa
            case .pci: pci
            case .cis: cis
            }
        }
    }

    /// The default criteria of a check type under a framework; none for SOC 2 (the control's own) or an unknown type.
    package static func defaults(for checkType: String, in framework: Framework) -> [String] {
        rows[checkType]?.criteria(in: framework) ?? []
    }

    package static let rows: [String: Row] = [
        // Leavers' accounts disabled: access rights removed on termination (ISO 5.18, 6.5), HIPAA termination
        // procedures, PCI "terminated users immediately revoked", CIS access revoking process.
        "offboarding": Row(iso27001: ["A.5.18", "A.6.5"], hipaa: ["164.308(a)(3)(ii)(C)"], pci: ["8.2.5"], cis: ["6.2"]),
        // Every account belongs to a known person: identity management and unique ids; an inventory of accounts.
        "unmatched_accounts": Row(iso27001: ["A.5.16", "A.5.18"], hipaa: ["164.312(a)(2)(i)", "164.308(a)(4)(ii)(C)"],
                                  pci: ["8.2.1", "8.2.4"], cis: ["5.1"]),
        // Admin grants approved: privileged access rights; access authorisation; least privilege; admin accounts restricted.
        "privileged_access": Row(iso27001: ["A.8.2"], hipaa: ["164.308(a)(4)(ii)(B)"], pci: ["7.2.2"], cis: ["5.4"]),
        // Periodic certification of a system's access: review of access rights (ISO 5.18), PCI's six-monthly review,
        // CIS 5.1's recurring validation of accounts.
        "access_review": Row(iso27001: ["A.5.18"], hipaa: ["164.308(a)(4)(ii)(C)"], pci: ["7.2.4"], cis: ["5.1"]),
        // MFA on every account: secure authentication; person or entity authentication; MFA into the CDE; MFA for
        // externally-exposed applications and administrative access.
        "mfa": Row(iso27001: ["A.8.5"], hipaa: ["164.312(d)"], pci: ["8.4.2"], cis: ["6.3", "6.5"]),
        // The root user's MFA: secure authentication of the most privileged identity; person or entity authentication;
        // MFA for administrative access; MFA for administrative access.
        "root_mfa": Row(iso27001: ["A.8.5", "A.8.2"], hipaa: ["164.312(d)"], pci: ["8.4.1"], cis: ["6.5"]),
        // Idle accounts: access rights kept current; access modification; PCI's 90-day inactivity rule; dormant accounts.
        "inactive_accounts": Row(iso27001: ["A.5.18"], hipaa: ["164.308(a)(4)(ii)(C)"], pci: ["8.2.6"], cis: ["5.3"]),
        // Buckets encrypted at rest: use of cryptography; HIPAA encryption and decryption; stored data unreadable;
        // sensitive data encrypted at rest.
        "storage_encryption": Row(iso27001: ["A.8.24"], hipaa: ["164.312(a)(2)(iv)"], pci: ["3.5.1"], cis: ["3.11"]),
        // No public bucket: information access restriction; HIPAA access control; an access control model; data ACLs.
        "storage_public_access": Row(iso27001: ["A.8.3"], hipaa: ["164.312(a)(1)"], pci: ["7.2.1"], cis: ["3.3"]),
        // Admin ports closed to the internet: networks security; access control; inbound traffic restricted; server firewalls.
        "network_exposure": Row(iso27001: ["A.8.20"], hipaa: ["164.312(a)(1)"], pci: ["1.3.1", "1.4.2"], cis: ["4.4"]),
        // A multi-region trail logging: logging; audit controls; audit logs enabled and active; collect audit logs.
        "audit_logging": Row(iso27001: ["A.8.15"], hipaa: ["164.312(b)"], pci: ["10.2.1"], cis: ["8.2"]),
        // Protected default branches with reviews: change management and source code access; integrity of ePHI-handling
        // systems; code reviewed before release and changes following procedure; a secure development process.
        "branch_protection": Row(iso27001: ["A.8.32", "A.8.4"], hipaa: ["164.312(c)(1)"], pci: ["6.2.3", "6.5.1"], cis: ["16.1"]),
        // Current security training: awareness, education and training; HIPAA's training standard; annual training;
        // a security awareness program.
        "training": Row(iso27001: ["A.6.3"], hipaa: ["164.308(a)(5)(i)"], pci: ["12.6.3"], cis: ["14.1"]),
        // Vendors' SOC 2 reports current: supplier services monitored and reviewed; business associates' assurances;
        // TPSPs' compliance monitored yearly; service providers monitored.
        "vendor_reports": Row(iso27001: ["A.5.22"], hipaa: ["164.308(b)(1)"], pci: ["12.8.4"], cis: ["15.6"]),
        // Questionnaires and DPAs: security in supplier agreements; written contract with business associates; written
        // TPSP agreements; security requirements in provider contracts.
        "vendor_paperwork": Row(iso27001: ["A.5.20"], hipaa: ["164.308(b)(3)", "164.314(a)(1)"], pci: ["12.8.2"], cis: ["15.4"]),
        // Full-disk encryption: user endpoint devices and cryptography; HIPAA encryption; stored data unreadable;
        // data encrypted on end-user devices.
        "device_encryption": Row(iso27001: ["A.8.1", "A.8.24"], hipaa: ["164.312(a)(2)(iv)"], pci: ["3.5.1.2"], cis: ["3.6"]),
        // OS up to date: technical vulnerabilities; risk management; known vulnerabilities patched; OS patch management.
        "os_patch_level": Row(iso27001: ["A.8.8"], hipaa: ["164.308(a)(1)(ii)(B)"], pci: ["6.3.3"], cis: ["7.3"]),
        // EDR running: protection against malware; HIPAA's protection from malicious software; anti-malware deployed.
        "edr_present": Row(iso27001: ["A.8.7"], hipaa: ["164.308(a)(5)(ii)(B)"], pci: ["5.2.1"], cis: ["10.1"]),
        // Screen lock enforced: clear screen and endpoint devices; automatic logoff; 15-minute idle re-authentication;
        // automatic session locking.
        "screen_lock": Row(iso27001: ["A.7.7", "A.8.1"], hipaa: ["164.312(a)(2)(iii)"], pci: ["8.2.8"], cis: ["4.3"]),
        // Devices checking in: asset inventory and endpoint devices; accountability for hardware; an inventory of
        // system components; a detailed enterprise asset inventory.
        "device_checkin": Row(iso27001: ["A.5.9", "A.8.1"], hipaa: ["164.310(d)(2)(iii)"], pci: ["12.5.1"], cis: ["1.1"]),
        // Open vulnerabilities past their age: technical vulnerabilities; risk management; vulnerabilities identified and
        // managed; detected vulnerabilities remediated.
        "vulnerabilities": Row(iso27001: ["A.8.8"], hipaa: ["164.308(a)(1)(ii)(B)"], pci: ["6.3.1"], cis: ["7.7"]),
        // API keys rotated: authentication information; password management; account credentials changed periodically;
        // unique credentials.
        "access_key_age": Row(iso27001: ["A.5.17"], hipaa: ["164.308(a)(5)(ii)(D)"], pci: ["8.6.3"], cis: ["5.2"]),
        // Password policy strong: authentication information; password management; length, complexity and history.
        "password_policy": Row(iso27001: ["A.5.17"], hipaa: ["164.308(a)(5)(ii)(D)"], pci: ["8.3.6", "8.3.7"], cis: ["5.2"]),
        // Databases encrypted at rest: as storage_encryption.
        "database_encryption": Row(iso27001: ["A.8.24"], hipaa: ["164.312(a)(2)(iv)"], pci: ["3.5.1"], cis: ["3.11"]),
        // Databases not reachable from the internet: networks security and access restriction; access control; inbound
        // traffic to the CDE restricted; server firewalls.
        "database_public_access": Row(iso27001: ["A.8.3", "A.8.20"], hipaa: ["164.312(a)(1)"], pci: ["1.3.1"], cis: ["4.4"]),
        // Keys rotate: use of cryptography (key management); encryption; keys changed at the end of their cryptoperiod;
        // data at rest encrypted (CIS has no key-management safeguard).
        "key_rotation": Row(iso27001: ["A.8.24"], hipaa: ["164.312(a)(2)(iv)"], pci: ["3.7.4"], cis: ["3.11"]),
        // Every source readable: monitoring activities; activity review; failures of security control systems detected;
        // the log management process works.
        "integration_health": Row(iso27001: ["A.8.16"], hipaa: ["164.308(a)(1)(ii)(D)"], pci: ["10.7.2"], cis: ["8.1"]),
        // Policies attested: policies communicated and acknowledged; documentation available to those responsible;
        // the security policy disseminated; awareness program.
        "policy_attestation": Row(iso27001: ["A.5.1"], hipaa: ["164.316(b)(2)(ii)"], pci: ["12.1.1", "12.6.3"], cis: ["14.1"]),
        // Another scanner's findings (configuration and vulnerability): configuration and vulnerability management;
        // risk analysis; configuration standards; a secure configuration process. Override per control where the
        // scanner's checks are narrower.
        "imported_findings": Row(iso27001: ["A.8.8", "A.8.9"], hipaa: ["164.308(a)(1)(ii)(A)"], pci: ["2.2.1"], cis: ["4.1"]),
    ]
}
