import Foundation

/// What a control watches, for the MTTD targets the seed sets: infrastructure within an hour, access and
/// HR-triggered controls within a day.
package enum ControlCategory: String, Sendable, CaseIterable, Comparable {
    case infrastructure, access, hr, vendors, manual

    /// The MTTD target, where the seed sets one.
    package var mttdTarget: TimeInterval? {
        switch self {
        case .infrastructure: 3_600
        case .access, .hr: 86_400
        case .vendors, .manual: nil
        }
    }

    package static func of(_ control: Control) -> ControlCategory {
        guard let type = control.check?.type else { return .manual }
        switch type {
        case "offboarding", "training", "policy_attestation": return .hr
        case "mfa", "root_mfa", "inactive_accounts", "unmatched_accounts", "privileged_access", "access_review", "access_key_age", "branch_protection": return .access
        case "vendor_reports", "vendor_paperwork": return .vendors
        default: return .infrastructure
        }
    }

    package static func < (a: ControlCategory, b: ControlCategory) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The program metrics split by team, TSC criterion or control category, for a period and the period of the same
/// length before it (the trend). Computed from the alerts and control runs themselves, like `AlertMetrics`.
package struct MetricsBreakdown: Sendable {
    package enum Dimension: String, Sendable, CaseIterable { case organisation, team, criterion, category }

    package struct Row: Sendable {
        package var group: String
        package var current: AlertMetrics
        package var previous: AlertMetrics
        /// Alerts open at the end of the period, by severity (opened by then, not ended by then).
        package var openRisk: [Severity: Int]
        /// For categories with a seed target: MTTD must stay under it.
        package var mttdTarget: TimeInterval?
    }

    /// - Parameters:
    ///   - ran: the automated controls that ran in the period; `ranBefore`: in the previous one.
    ///   - evidencedManual: manual controls whose evidence is current.
    ///   - framework: whose criteria `.criterion` groups by (`Framework.groups`), in the framework's order.
    package static func compute(_ dimension: Dimension, alerts: [AlertFacts], controls: [Control], ran: Set<ControlID>, ranBefore: Set<ControlID>,
                                evidencedManual: Set<ControlID>, period: DateInterval, framework: Framework = .soc2) -> [Row] {
        let before = DateInterval(start: period.start.addingTimeInterval(-period.duration), duration: period.duration)
        let byID = Dictionary(controls.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func groups(of control: Control) -> [String] {
            switch dimension {
            case .organisation: ["all"]
            case .team: [control.owner.rawValue]
            case .criterion: framework.groups(of: control)
            case .category: [ControlCategory.of(control).rawValue]
            }
        }
        func groups(of alert: AlertFacts) -> [String] {
            switch dimension {
            case .organisation: ["all"]
            case .team: [alert.team.rawValue]
            case .criterion: framework.groups(ofAlert: alert.criteria, control: byID[alert.control])
            case .category: [byID[alert.control].map { ControlCategory.of($0).rawValue } ?? ControlCategory.infrastructure.rawValue]
            }
        }
        var controlGroups: [String: [Control]] = [:]
        for control in controls { for group in groups(of: control) { controlGroups[group, default: []].append(control) } }
        var alertGroups: [String: [AlertFacts]] = [:]
        for alert in alerts { for group in groups(of: alert) { alertGroups[group, default: []].append(alert) } }
        let keys = Set(controlGroups.keys).union(alertGroups.keys)
        let names = dimension == .criterion ? framework.sorted(keys) : keys.sorted()
        return names.map { group in
            let groupAlerts = alertGroups[group] ?? [], groupControls = controlGroups[group] ?? []
            let open = groupAlerts.filter { $0.isOpen(at: period.end) }
            return Row(group: group,
                       current: AlertMetrics.compute(alerts: groupAlerts, controls: groupControls, ranInPeriod: ran, evidencedManual: evidencedManual, period: period),
                       previous: AlertMetrics.compute(alerts: groupAlerts, controls: groupControls, ranInPeriod: ranBefore, evidencedManual: evidencedManual,
                                                      period: before),
                       openRisk: Dictionary(grouping: open, by: \.severity).mapValues(\.count),
                       mttdTarget: dimension == .category ? ControlCategory(rawValue: group)?.mttdTarget : nil)
        }
    }
}
