import Core
import FactSources
import Foundation

/// CC1.4: everyone employed has completed security training within `validFor` (failing `warnBefore` ahead of expiry).
struct TrainingCheck: ControlCheck {
    let validFor: TimeInterval
    let warnBefore: TimeInterval
    /// The person is reminded this long before their deadline, and their manager `escalateBefore` it.
    var remindBefore: TimeInterval = 14 * 86_400
    var escalateBefore: TimeInterval = 3 * 86_400
    var reads: Set<FactKind> { [.people, .training] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        var completions: [String: Date] = [:]
        var assigned: [String: TrainingRecord] = [:]
        for record in facts.training ?? [] {
            let key = record.email.lowercased()
            if let at = record.completedAt { completions[key] = max(completions[key] ?? at, at) }
            if let due = record.dueAt, assigned[key]?.dueAt.map({ due < $0 }) ?? true { assigned[key] = record }
        }
        let expected = "training completed within the last \(DurationText.format(validFor))"
        return (facts.people ?? []).filter { $0.status == .active }.map { person in
            let key = person.email.lowercased()
            let resource = ResourceRef(id: "person:\(key)", name: person.name, kind: "person")
            // The deadline: the platform's due date for an open assignment, else a year (validFor) after the last completion.
            let lapse = completions[key].map { $0.addingTimeInterval(validFor) }
            let due = [lapse, assigned[key]?.dueAt].compactMap { $0 }.min()
            guard let due else {
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: "never completed")
            }
            let course = assigned[key]?.course
            if now >= due {
                let observed = due == lapse ? "lapsed on \(TimeText.human(due))"
                    : (completions[key] == nil ? "never completed; " : "") + "due \(TimeText.human(due))" + (course.map { " (\($0))" } ?? "")
                return CheckResult(resource: resource, status: .fail, expected: expected, observed: observed,
                                   failingSince: due.addingTimeInterval(-warnBefore), policyDeadline: due)
            }
            if now >= due.addingTimeInterval(-warnBefore) {
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: "due by \(TimeText.human(due))", failingSince: due.addingTimeInterval(-warnBefore),
                                   policyDeadline: due)
            }
            let reminder = Reminder(what: course.map { "Security awareness training (\($0))" } ?? "Security awareness training",
                                    email: person.email, dueAt: due, remindAt: due.addingTimeInterval(-remindBefore),
                                    escalateAt: due.addingTimeInterval(-escalateBefore), how: "complete it in the training platform")
            return CheckResult(resource: resource, status: .pass, expected: expected,
                               observed: completions[key] == nil ? "assigned, due by \(TimeText.human(due))" : "current until \(TimeText.human(due))",
                               reminder: reminder)
        }
    }
}

/// CC9.2: every vendor (of the selected tiers) has a SOC 2 report whose period ended less than `validFor` ago.
struct VendorReportCheck: ControlCheck {
    let validFor: TimeInterval
    let tiers: [Int]?
    /// A report expiring within this long already fails ("expires in 12 days"), so the renewal starts in time.
    var warnBefore: TimeInterval = 0
    /// The vendor's owner is reminded this long before the report lapses, and their manager from `escalateBefore`.
    var remindBefore: TimeInterval = 30 * 86_400
    var escalateBefore: TimeInterval = 7 * 86_400
    var reads: Set<FactKind> { [.vendors] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "a SOC 2 report whose period ended within \(DurationText.format(validFor))"
        return (facts.vendors ?? []).filter { tiers?.contains($0.tier) ?? true }.map { vendor in
            guard let end = vendor.reportPeriodEnd else {
                return CheckResult(resource: vendor.resource, status: .fail, expected: expected, observed: "no SOC 2 report on file")
            }
            let expiry = end.addingTimeInterval(validFor)
            if now >= expiry {
                // The days since expiry are the alert's "failing since" (shown with the lead when it opens): kept out
                // of the observation, which would otherwise change — and edit the alert — every day.
                return CheckResult(resource: vendor.resource, status: .fail, expected: expected,
                                   observed: "SOC 2 report expired \(TimeText.human(expiry)) (period end \(TimeText.human(end)))",
                                   failingSince: expiry, policyDeadline: expiry)
            }
            if now >= expiry.addingTimeInterval(-warnBefore) {
                return CheckResult(resource: vendor.resource, status: .fail, expected: expected,
                                   observed: "SOC 2 report expires \(TimeText.human(expiry)); request the new one",
                                   failingSince: expiry.addingTimeInterval(-warnBefore), policyDeadline: expiry)
            }
            let reminder = vendor.ownerEmail.map { owner in
                Reminder(what: "\(vendor.name)'s SOC 2 report", email: owner, dueAt: expiry, remindAt: expiry.addingTimeInterval(-remindBefore),
                         escalateAt: expiry.addingTimeInterval(-escalateBefore),
                         how: "request the new report from \(vendor.name) and record it: /soc2 vendor renew \(vendor.id ?? vendor.name) <period end> <link>")
            }
            return CheckResult(resource: vendor.resource, status: .pass, expected: expected,
                               observed: "current until \(TimeText.human(expiry))" + (vendor.renewal.map { "; renewed: \($0)" } ?? ""),
                               reminder: reminder)
        }
    }
}

extension Vendor {
    /// Keyed by the register id where there is one (stable across renames), else by name.
    var resource: ResourceRef {
        ResourceRef(id: "vendor:\((id ?? name).lowercased())", name: "\(name) (Tier \(tier))", kind: "vendor")
    }
}

/// CC9.2: no vendor's security questionnaire is overdue, and (with `require_dpa`) every vendor has a signed DPA.
struct VendorPaperworkCheck: ControlCheck {
    let tiers: [Int]?
    let requireDPA: Bool
    var reads: Set<FactKind> { [.vendors] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        let expected = "security questionnaire up to date" + (requireDPA ? " and a signed DPA" : "")
        return (facts.vendors ?? []).filter { tiers?.contains($0.tier) ?? true }.map { vendor in
            var gaps: [String] = []
            var since: Date?
            if let due = vendor.questionnaireDue, now >= due {
                gaps.append("questionnaire overdue since \(TimeText.human(due))")
                since = due
            }
            if requireDPA {
                switch vendor.dpaSigned {
                case false?: gaps.append("no signed DPA")
                case nil: return CheckResult(resource: vendor.resource, status: .error("the vendor source does not record DPAs"),
                                             expected: expected, observed: "unknown")
                default: break
                }
            }
            return gaps.isEmpty
                ? CheckResult(resource: vendor.resource, status: .pass, expected: expected,
                              observed: vendor.questionnaireDue.map { "questionnaire due \(TimeText.human($0))" } ?? "no questionnaire scheduled")
                : CheckResult(resource: vendor.resource, status: .fail, expected: expected, observed: gaps.joined(separator: "; "), failingSince: since)
        }
    }
}

/// CC1.1/CC2.2: everyone who must has attested to each policy: within `grace` of its publication, then again every
/// `every`. Before the deadline the person is reminded, and their manager near it.
struct PolicyAttestationCheck: ControlCheck {
    let policies: [String]?
    var remindBefore: TimeInterval = 14 * 86_400
    var escalateBefore: TimeInterval = 3 * 86_400
    var reads: Set<FactKind> { [.attestations] }

    func evaluate(_ facts: Facts, at now: Date) -> [CheckResult] {
        (facts.attestations ?? []).filter { policies?.contains($0.policy) ?? true }.map { record in
            let resource = ResourceRef(id: "policy:\(record.policy):\(record.email.lowercased())", name: "\(record.name) — \(record.title)", kind: "attestation")
            let expected = "attested within \(DurationText.format(record.every)) (new versions within \(DurationText.format(record.grace)))"
            let due = record.attestedAt.map { $0.addingTimeInterval(record.every) } ?? record.publishedAt.addingTimeInterval(record.grace)
            guard now < due else {
                return CheckResult(resource: resource, status: .fail, expected: expected,
                                   observed: record.attestedAt.map { "last attested \(TimeText.human($0)); due \(TimeText.human(due))" }
                                       ?? "not attested to the version of \(TimeText.human(record.publishedAt)); due \(TimeText.human(due))",
                                   failingSince: due, policyDeadline: due)
            }
            let reminder = Reminder(what: "Attest to “\(record.title)”", email: record.email, dueAt: due, remindAt: due.addingTimeInterval(-remindBefore),
                                    escalateAt: due.addingTimeInterval(-escalateBefore), how: "read it, then send `/soc2 attest \(record.policy)`")
            return CheckResult(resource: resource, status: .pass, expected: expected,
                               observed: record.attestedAt.map { "attested \(TimeText.human($0))" } ?? "due by \(TimeText.human(due))", reminder: reminder)
        }
    }
}
