import Core
import FactSources
import Foundation

/// CC6.1: no active API key (IAM access key) is older than `maxAge`. One result per key, so rotating a key (a new
/// key, made later) resolves the old one's failure. A key is known by its account and creation time
/// (`aws:key:alice/2026-01-02T03:04:05Z`, `AccessKeyIdentity`; with `assume_roles`, `aws:key:123456789012/alice/…`):
/// what IAM's credential report gives, since it names no key ids. Keys judged before were known by their id
/// (`aws:key:AKIA…`); the store's `v7-aws-key-identity` migration re-keys their tracks and alerts.
struct AccessKeyAgeCheck: ControlCheck {
    let maxAge: TimeInterval
    let systems: [String]?
    var reads: Set<FactKind> { [.accounts] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = AccessKeyIdentity.expectedPrefix + DurationText.format(maxAge)
        return (facts.accounts ?? []).filter { $0.system.isSelected(by: systems) }.flatMap { account in
            zip(account.accessKeys, AccessKey.identities(account.accessKeys)).filter { $0.0.active }.map { key, identity in
                let resource = ResourceRef(id: AccessKeyIdentity.resourceID(system: account.system, login: account.login, identity: identity),
                                           name: Self.name(key, login: account.login, system: account.system), kind: "access_key")
                let due = key.createdAt.addingTimeInterval(maxAge)
                return now >= due
                    // Stable wording (no age that grows each run, which would edit the alert every time).
                    ? CheckResult(resource: resource, status: .fail, expected: expected,
                                  observed: "created \(TimeText.human(key.createdAt)), due for rotation \(TimeText.human(due))", failingSince: due)
                    : CheckResult(resource: resource, status: .pass, expected: expected, observed: "created \(TimeText.human(key.createdAt))")
            }
        }
    }

    /// `access key created 2026-01-02 of alice (AWS)`, with the key id where the read named it.
    static func name(_ key: AccessKey, login: String, system: String) -> String {
        "access key \(key.id.map { "\($0) " } ?? "")created \(TimeText.human(key.createdAt).prefix(10)) of \(login) (\(system))"
    }
}

/// CC6.1: the account password policy is at least as strong as required (defaults follow the CIS AWS Foundations
/// Benchmark: 14 characters, the four character classes, 24 remembered passwords).
struct PasswordPolicyCheck: ControlCheck {
    let minimumLength: Int
    let requireComplexity: Bool
    let reusePrevention: Int
    /// nil: expiry not required.
    let maxAgeDays: Int?
    var reads: Set<FactKind> { [.passwordPolicies] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        var parts = ["at least \(minimumLength) characters"]
        if requireComplexity { parts.append("upper, lower, digit and symbol") }
        if reusePrevention > 0 { parts.append("the last \(reusePrevention) passwords remembered") }
        if let maxAgeDays { parts.append("expiry within \(maxAgeDays) days") }
        let expected = parts.joined(separator: ", ")
        return (facts.passwordPolicies ?? []).map { policy in
            let resource = ResourceRef(id: "\(policy.provider.lowercased()):password-policy:\(policy.account)",
                                       name: "\(policy.provider) account \(policy.account) password policy", kind: "password_policy")
            guard policy.exists else {
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: "no password policy set (provider defaults apply)")
            }
            var gaps: [String] = []
            if policy.minimumLength < minimumLength { gaps.append("minimum length \(policy.minimumLength)") }
            if requireComplexity {
                let missing = [("uppercase", policy.requireUppercase), ("lowercase", policy.requireLowercase),
                               ("digits", policy.requireNumbers), ("symbols", policy.requireSymbols)].filter { !$0.1 }.map(\.0)
                if !missing.isEmpty { gaps.append("does not require \(missing.joined(separator: ", "))") }
            }
            if reusePrevention > 0, (policy.reusePrevention ?? 0) < reusePrevention {
                gaps.append(policy.reusePrevention.map { "remembers only \($0) passwords" } ?? "password reuse allowed")
            }
            if let maxAgeDays, (policy.maxAgeDays ?? .max) > maxAgeDays {
                gaps.append(policy.maxAgeDays.map { "passwords expire after \($0) days" } ?? "passwords never expire")
            }
            return gaps.isEmpty
                ? CheckResult(resource: resource, status: .pass, expected: expected, observed: "meets the policy")
                : CheckResult(resource: resource, status: .fail, expected: expected, observed: gaps.joined(separator: "; "))
        }
    }
}

/// CC6.1/CC6.7: every managed database has storage encryption on.
struct DatabaseEncryptionCheck: ControlCheck {
    var reads: Set<FactKind> { [.databases] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.databases ?? []).map { db in
            CheckResult(resource: db.resource, status: db.storageEncrypted ? .pass : .fail, expected: "storage encrypted at rest",
                        observed: db.storageEncrypted ? "encrypted" : "storage not encrypted (\(db.engine))")
        }
    }
}

/// CC6.6: no managed database is reachable from the internet.
struct DatabasePublicAccessCheck: ControlCheck {
    var reads: Set<FactKind> { [.databases] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.databases ?? []).map { db in
            CheckResult(resource: db.resource, status: db.publiclyAccessible ? .fail : .pass, expected: "not publicly accessible",
                        observed: db.publiclyAccessible ? "publicly accessible" : "private")
        }
    }
}

extension Database {
    var resource: ResourceRef { ResourceRef(id: "\(provider.lowercased()):db:\(id)", name: "\(id) (\(provider) \(engine))", kind: "database") }
}

/// CC6.1: every customer-managed symmetric key rotates automatically.
struct KeyRotationCheck: ControlCheck {
    var reads: Set<FactKind> { [.encryptionKeys] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.encryptionKeys ?? []).filter(\.rotatable).map { key in
            let resource = ResourceRef(id: "\(key.provider.lowercased()):kms:\(key.id)", name: (key.label.map { "\($0) " } ?? "") + "(\(key.id))",
                                       kind: "encryption_key")
            return CheckResult(resource: resource, status: key.rotationEnabled ? .pass : .fail, expected: "automatic key rotation on",
                               observed: key.rotationEnabled ? "rotation on" : "automatic rotation off")
        }
    }
}

/// Findings imported from another scanner (OCSF): each selected finding becomes one result, so a scanner's checks
/// run through this bot's lifecycle, routing and ledger. A finding absent from the next scan, or passing in it,
/// resolves. MANUAL findings are the scanner saying it cannot tell: they are left out, not passed.
struct ImportedFindingsCheck: ControlCheck {
    /// Check-id patterns (`*` wildcards); nil: every check.
    let checks: [String]?
    /// Compliance requirements as `FRAMEWORK:requirement` (e.g. `SOC2:cc_6_1`) or a bare framework; nil: any.
    let compliance: [String]?
    /// Lowest severity that counts; findings below it are left out.
    let minSeverity: Severity
    var reads: Set<FactKind> { [.findings] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.findings ?? []).filter(selected).compactMap { finding in
            let resource = ResourceRef(id: "finding:\(finding.checkID):\(finding.resource)",
                                       name: "\(finding.resourceName ?? finding.resource) — \(finding.checkID)", kind: "finding")
            let expected = finding.title
            switch finding.status {
            case .pass: return CheckResult(resource: resource, status: .pass, expected: expected, observed: finding.statusDetail ?? "passes")
            case .fail:
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: (finding.severity.map { "\($0): " } ?? "") + (finding.statusDetail ?? "fails"),
                                   failingSince: finding.firstSeenAt)
            case .unknown: return CheckResult(resource: resource, status: .error("the scanner reported no status for \(finding.checkID)"),
                                              expected: expected, observed: "status unknown")
            case .manual: return nil
            }
        }
    }

    func selected(_ finding: ImportedFinding) -> Bool {
        // No severity: OCSF Informational, below anything a control asks for.
        guard let severity = finding.severity else { return false }
        if severity > minSeverity { return false }
        if let checks, !checks.contains(where: { Self.glob($0, matches: finding.checkID) }) { return false }
        if let compliance {
            // `SOC2:CC6.1` matches Prowler's `SOC2: cc_6_1`: compared without case or punctuation.
            let mapped = Set(finding.compliance.flatMap { framework, requirements in
                [Self.normalised(framework)] + requirements.map { Self.normalised(framework) + ":" + Self.normalised($0) }
            })
            let wanted = compliance.map { entry -> String in
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                return parts.map(Self.normalised).joined(separator: ":")
            }
            guard wanted.contains(where: mapped.contains) else { return false }
        }
        return true
    }

    static func normalised(_ text: String) -> String { String(text.lowercased().filter { $0.isLetter || $0.isNumber }) }

    /// `*` matches any run of characters; everything else literally, case-insensitively.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.lowercased().split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(text.lowercased())
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        if parts.count == 1 { return rest.isEmpty }
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}

/// CC7.2: every source the bot reads (or those listed) could be read on its last attempt. A broken integration —
/// revoked credentials, a removed permission, an API answering garbage — otherwise shows only as `error` results
/// of other controls, which never alert. Use the control's `tolerance` to ride out a transient outage.
struct IntegrationHealthCheck: ControlCheck {
    let integrations: [String]?
    var reads: Set<FactKind> { [.integrations] }

    /// A run with no source to judge is no evidence that the integrations work.
    var nothingToJudge: String? {
        integrations == nil ? "no source to judge: the manifests configure none"
            : "no source to judge: none of the `integrations` listed is a configured source"
    }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.integrations ?? []).filter { integrations?.contains($0.source.rawValue) ?? true }.map { health in
            let resource = ResourceRef(id: "source:\(health.source)", name: "\(health.source) (\(health.kind))", kind: "integration")
            let expected = "the source can be read"
            // Unknown after a restart until a control reads it: an error keeps its alert as it is (a pass would resolve it).
            guard health.read else {
                let reason = "not read since the bot started: its health is unknown until a control reads it"
                return CheckResult(resource: resource, status: .error(reason), expected: expected, observed: reason)
            }
            guard !health.healthy else {
                return CheckResult(resource: resource, status: .pass, expected: expected, observed: "read successfully")
            }
            let since = health.lastSuccessAt.map { "last read successfully \(TimeText.human($0))" } ?? "never read successfully since the bot started"
            return CheckResult(resource: resource, status: .fail, expected: expected,
                               observed: "\(health.lastError ?? "unreadable") (\(since))", failingSince: health.failingSince)
        }
    }
}
