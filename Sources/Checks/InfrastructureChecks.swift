import Core
import FactSources
import Foundation

/// CC6.1/CC6.7: every bucket is encrypted at rest (with customer-managed keys when required).
struct StorageEncryptionCheck: ControlCheck {
    let requireCustomerKeys: Bool
    var reads: Set<FactKind> { [.buckets] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = requireCustomerKeys ? "encrypted with a customer-managed key (SSE-KMS)" : "default encryption enabled"
        return (facts.buckets ?? []).map { bucket in
            let resource = ResourceRef(id: "\(bucket.provider.lowercased()):\(bucket.name)", name: "\(bucket.name) (\(bucket.provider))", kind: "bucket")
            let ok = bucket.encryption == .customerManaged || (bucket.encryption == .providerManaged && !requireCustomerKeys)
            let observed = switch bucket.encryption {
            case .none: "no default encryption"
            case .providerManaged: "provider-managed keys (\(bucket.encryptionDetail ?? "SSE-S3"))"
            case .customerManaged: "customer-managed keys (\(bucket.encryptionDetail ?? "SSE-KMS"))"
            }
            return ok ? CheckResult(resource: resource, status: .pass, expected: expected, observed: observed)
                      : CheckResult(failing: resource, expected: expected, observed: observed, change: bucket.lastChange)
        }
    }
}

extension CheckResult {
    /// A failure whose start the provider's audit log knows: the observation names who changed what, and the
    /// failure is dated from that change (MTTD), not from this run.
    init(failing resource: ResourceRef, expected: String, observed: String, change: ChangeEvent?) {
        self.init(resource: resource, status: .fail, expected: expected,
                  observed: observed + (change.map { " — \($0.summary)" } ?? ""), failingSince: change?.at)
    }
}

/// CC6.6: no bucket is readable by the public.
struct StoragePublicAccessCheck: ControlCheck {
    var reads: Set<FactKind> { [.buckets] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.buckets ?? []).map { bucket in
            let resource = ResourceRef(id: "\(bucket.provider.lowercased()):\(bucket.name)", name: "\(bucket.name) (\(bucket.provider))", kind: "bucket")
            let observed = bucket.isPublic
                ? "public read access\(bucket.holdsCustomerData ? "; holds customer data" : "")"
                : "public access blocked"
            return bucket.isPublic ? CheckResult(failing: resource, expected: "no public access", observed: observed, change: bucket.lastChange)
                                   : CheckResult(resource: resource, status: .pass, expected: "no public access", observed: observed)
        }
    }
}

/// CC6.6: no inbound rule opens the listed ports (or all ports) to 0.0.0.0/0 or ::/0.
struct NetworkExposureCheck: ControlCheck {
    let ports: [Int]
    var reads: Set<FactKind> { [.networkRules] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "ports \(ports.map(String.init).joined(separator: ", ")) not open to the internet"
        return (facts.networkRules ?? []).map { rule in
            let resource = ResourceRef(id: "\(rule.provider.lowercased()):\(rule.id)", name: "\(rule.name) (\(rule.id))", kind: "network_rule")
            let world = rule.sources.filter { $0 == "0.0.0.0/0" || $0 == "::/0" }
            let exposed: [Int] = world.isEmpty ? [] : ports.filter { port in
                guard let from = rule.fromPort, let to = rule.toPort else { return true }
                return from <= port && port <= to
            }
            if exposed.isEmpty {
                return CheckResult(resource: resource, status: .pass, expected: expected, observed: "not open to the internet on those ports")
            }
            let range = rule.fromPort.map { from in from == rule.toPort ? "port \(from)" : "ports \(from)-\(rule.toPort ?? from)" } ?? "all ports"
            // Named by its protocol where the source says it: `TCP port 22`, `UDP ports 3389-3390`, `all traffic`.
            let what = switch rule.protocolName {
            case nil: range
            case "all traffic"?: "all traffic (all protocols and ports)"
            case let name?: "\(name) \(range)"
            }
            return CheckResult(failing: resource, expected: expected, observed: "\(what) open to \(world.joined(separator: " and "))",
                               change: rule.lastChange)
        }
    }
}

/// CC7.2: each provider (each account, project or subscription of it, where the source reads several) has a
/// multi-region audit trail that is logging.
struct AuditLoggingCheck: ControlCheck {
    var reads: Set<FactKind> { [.auditTrails] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        struct Scope: Hashable, Comparable {
            var provider: String
            var scope: String?
            static func < (a: Scope, b: Scope) -> Bool { (a.provider, a.scope ?? "") < (b.provider, b.scope ?? "") }
        }
        let byScope = Dictionary(grouping: facts.auditTrails ?? [], by: { Scope(provider: $0.provider, scope: $0.scope) })
        // No trail at all (a deleted trail) is a failure, not "nothing to check": silence would resolve the alert.
        guard !byScope.isEmpty else {
            return [CheckResult(resource: ResourceRef(id: "audit-trail", name: "audit trail", kind: "audit_trail"), status: .fail,
                                expected: "a multi-region trail that is logging", observed: "no audit trail reported")]
        }
        return byScope.keys.sorted().map { key in
            let trails = byScope[key]!
            let resource = ResourceRef(id: "\(key.provider.lowercased()):" + (key.scope.map { "\($0):" } ?? "") + "audit-trail",
                                       name: "\(key.provider)" + (key.scope.map { " \($0)" } ?? "") + " audit trail", kind: "audit_trail")
            let good = trails.first { $0.multiRegion && $0.logging }
            let observed = good.map { "\($0.name) is multi-region and logging" }
                ?? trails.map { "\($0.name): \($0.multiRegion ? "multi-region" : "single-region"), \($0.logging ? "logging" : "not logging")" }
                    .joined(separator: "; ")
            guard good == nil else {
                return CheckResult(resource: resource, status: .pass, expected: "a multi-region trail that is logging", observed: observed)
            }
            let change = trails.compactMap(\.lastChange).max { $0.at < $1.at }
            return CheckResult(failing: resource, expected: "a multi-region trail that is logging", observed: observed, change: change)
        }
    }
}

/// CC8.1: default branches are protected and require approving reviews.
struct BranchProtectionCheck: ControlCheck {
    let requiredReviews: Int
    let repositories: [String]?
    var reads: Set<FactKind> { [.repositories] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "\(requiredReviews == 1 ? "1 approving review" : "\(requiredReviews) approving reviews") required on the protected default branch"
        return (facts.repositories ?? []).filter { $0.name.isSelected(by: repositories) }.map { repo in
            let resource = ResourceRef(id: "\(repo.host.lowercased()):\(repo.name)", name: "\(repo.name) (\(repo.defaultBranch))", kind: "repository")
            let observed = repo.protected
                ? "protected, \(repo.requiredReviews) required review\(repo.requiredReviews == 1 ? "" : "s")"
                : "branch protection removed"
            let ok = repo.protected && repo.requiredReviews >= requiredReviews
            return CheckResult(resource: resource, status: ok ? .pass : .fail, expected: expected, observed: observed)
        }
    }
}

/// CC6.7: every managed device has full-disk encryption on.
struct DeviceEncryptionCheck: ControlCheck {
    var reads: Set<FactKind> { [.devices] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.devices ?? []).map { device in
            let resource = ResourceRef(id: "device:\(device.serial)", name: "\(device.name) (\(device.ownerEmail ?? "unassigned"))", kind: "device")
            return CheckResult(resource: resource, status: device.encrypted ? .pass : .fail, expected: "full-disk encryption on",
                               observed: device.encrypted ? "encrypted" : "disk encryption off (\(device.osVersion))")
        }
    }
}

/// CC7.1/CC7.2: no open vulnerability at or above a severity is older than allowed.
struct VulnerabilityCheck: ControlCheck {
    let minSeverity: Severity
    let maxAge: TimeInterval
    var reads: Set<FactKind> { [.vulnerabilities] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "no \(minSeverity)+ vulnerability open longer than \(DurationText.format(maxAge))"
        return (facts.vulnerabilities ?? []).filter { $0.severity <= minSeverity }.map { vuln in
            let resource = ResourceRef(id: "vuln:\(vuln.id)", name: "\(vuln.id) \(vuln.title) in \(vuln.resource)", kind: "vulnerability")
            let due = vuln.openedAt.addingTimeInterval(maxAge)
            return now >= due
                ? CheckResult(resource: resource, status: .fail, expected: expected,
                              observed: "\(vuln.severity) open since \(TimeText.human(vuln.openedAt))", failingSince: due)
                : CheckResult(resource: resource, status: .pass, expected: expected, observed: "within the fix window until \(TimeText.human(due))")
        }
    }
}
