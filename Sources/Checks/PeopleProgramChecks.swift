import Core
import FactSources
import Foundation

/// CC1.4: everyone employed has completed security training within `validFor` (failing `warnBefore` ahead of expiry).
struct TrainingCheck: ControlCheck {
    let validFor: TimeInterval
    let warnBefore: TimeInterval
    var reads: Set<FactKind> { [.people, .training] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        var completions: [String: Date] = [:]
        for record in facts.training ?? [] {
            guard let at = record.completedAt else { continue }
            let key = record.email.lowercased()
            completions[key] = max(completions[key] ?? at, at)
        }
        let expected = "training completed within the last \(DurationText.format(validFor))"
        return (facts.people ?? []).filter { $0.status == .active }.map { person in
            let resource = ResourceRef(id: "person:\(person.email.lowercased())", name: person.name, kind: "person")
            guard let done = completions[person.email.lowercased()] else {
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: "never completed")
            }
            let expiry = done.addingTimeInterval(validFor)
            let warnFrom = expiry.addingTimeInterval(-warnBefore)
            if now >= expiry {
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: "lapsed on \(TimeText.human(expiry))", failingSince: warnFrom)
            }
            if now >= warnFrom {
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: "due by \(TimeText.human(expiry))", failingSince: warnFrom)
            }
            return CheckResult(resource: resource, status: .pass, expected: expected, observed: "current until \(TimeText.human(expiry))")
        }
    }
}

/// CC9.2: every vendor (of the selected tiers) has a SOC 2 report whose period ended less than `validFor` ago.
struct VendorReportCheck: ControlCheck {
    let validFor: TimeInterval
    let tiers: [Int]?
    var reads: Set<FactKind> { [.vendors] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "a SOC 2 report whose period ended within \(DurationText.format(validFor))"
        return (facts.vendors ?? []).filter { tiers?.contains($0.tier) ?? true }.map { vendor in
            let resource = ResourceRef(id: "vendor:\(vendor.name.lowercased())", name: "\(vendor.name) (Tier \(vendor.tier))", kind: "vendor")
            guard let end = vendor.reportPeriodEnd else {
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: "no SOC 2 report on file")
            }
            let expiry = end.addingTimeInterval(validFor)
            return now >= expiry
                ? CheckResult(resource: resource, status: .fail, expected: expected,
                              observed: "SOC 2 report expired \(TimeText.human(expiry)) (period end \(TimeText.human(end)))", failingSince: expiry)
                : CheckResult(resource: resource, status: .pass, expected: expected, observed: "current until \(TimeText.human(expiry))")
        }
    }
}
