import Core
import Foundation
import Store

/// The pre-audit exceptions report for a period, written the way an auditor reads one: every SLA breach grouped by
/// control ("3 instances of … persisting beyond policy SLA"), each with its dates, the part of its breach that falls in
/// the period (one breach shows in every period it spans; time under an accepted risk is not breach time) and who
/// ended it and how; every accepted risk with its rationale, who accepted it and until when; every remediation note
/// (`/soc2 note`, ended alerts too); every alert closed without a link to the fix (a later note with a link gives one).
/// From the alerts and the human actions in the ledger.
package struct ExceptionsReport: Sendable {
    /// One human action on an alert, as the ledger records it.
    package struct Action: Sendable, Equatable {
        package var alert: AlertID
        package var at: Date
        package var actor: String
        package var action: String
        package var reason: String?
        package var until: Date?
        package var link: String?
    }

    package var organisation: String
    package var period: DateInterval
    package var breaches: [(control: Control?, alerts: [Alert])]
    /// Missed policy deadlines (`Alert.policyDeadline`), by control: the moment the policy was broken, apart from the
    /// remediation SLA breaches.
    package var policyMisses: [(control: Control?, alerts: [Alert])]
    package var accepted: [(alert: Alert, action: Action?)]
    package var closedWithoutLink: [(alert: Alert, action: Action?)]
    package var actions: [AlertID: [Action]]
    /// Remediation notes recorded in the period (`/soc2 note`), on any alert — one that ended long before too — with
    /// their alert's title when known.
    package var notes: [(note: Action, title: String?)]
    /// Whose criteria the report names beside each control (`--framework`).
    package var framework: Framework = .soc2

    package static func build(config: BotConfig, store: StoreTransaction, period: DateInterval, framework: Framework = .soc2) throws -> ExceptionsReport {
        let alerts = try store.alerts(touching: period)
        var actions: [AlertID: [Action]] = [:]
        for alert in alerts {
            actions[alert.id] = try store.evidence(subject: alert.id.description).compactMap(Self.action)
        }
        // A breach belongs to every period that holds some of its breach time (`AlertTimeline`).
        let breached = alerts.filter { $0.facts.breachedRemediationSLA(in: period) }
        let controls = Dictionary(config.controls.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func byControl(_ alerts: [Alert]) -> [(control: Control?, alerts: [Alert])] {
            let grouped = Dictionary(grouping: alerts, by: \.control)
            return grouped.keys.sorted { $0.rawValue < $1.rawValue }.map { (controls[$0], grouped[$0]!.sorted { $0.openedAt < $1.openedAt }) }
        }
        let accepted = alerts.compactMap { alert -> (Alert, Action?)? in
            let acceptance = actions[alert.id]?.last { $0.action == "accept_risk" && period.spans($0.at) }
            let acceptedInPeriod = alert.timeline.acceptances.contains { $0.start < period.end && $0.end > period.start }
            guard acceptance != nil || acceptedInPeriod else { return nil }
            return (alert, acceptance)
        }
        // As of the period's end: a link given by a later note does not rewrite this period's report.
        let closedBare = alerts.filter { alert in
            alert.state == .closed && alert.remediationLink == nil && alert.endedAt.map(period.spans) == true
                && !(actions[alert.id] ?? []).contains { $0.action == "note" && $0.link != nil && $0.at < period.end }
        }.map { alert -> (alert: Alert, action: Action?) in (alert, actions[alert.id]?.last { $0.action == "close" }) }
        let byID = Dictionary(alerts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var notes: [(note: Action, title: String?)] = []
        for note in try store.evidence(kind: "human_action", in: period).compactMap(Self.action) where note.action == "note" {
            let title = try byID[note.alert]?.title ?? store.alert(note.alert)?.title
            notes.append((note, title))
        }
        return ExceptionsReport(
            organisation: config.organisation, period: period,
            breaches: byControl(breached), policyMisses: byControl(alerts.filter { $0.facts.missedPolicy(in: period) }),
            accepted: accepted, closedWithoutLink: closedBare, actions: actions, notes: notes, framework: framework)
    }

    static func action(_ entry: Data) -> Action? {
        guard let object = try? JSONSerialization.jsonObject(with: entry) as? [String: Any], object["kind"] as? String == "human_action",
              let data = object["data"] as? [String: Any], data["outcome"] as? String == "done",
              let at = (object["at"] as? String).flatMap(TimeText.parse), let alert = (data["alert"] as? NSNumber).map({ AlertID($0.int64Value) }),
              let actor = data["actor"] as? String, let action = data["action"] as? String else { return nil }
        return Action(alert: alert, at: at, actor: actor, action: action, reason: data["reason"] as? String,
                      until: (data["until"] as? String).flatMap(TimeText.parse), link: data["link"] as? String)
    }

    /// How an alert ended, for the auditor: resolved by the next passing run, or closed by whom with what.
    func ending(_ alert: Alert) -> String {
        guard let ended = alert.endedAt, ended < period.end else {
            return "still \((alert.timeline.state(before: period.end) ?? alert.state).label) at the end of the period"
        }
        switch alert.state {
        case .resolved: return "resolved \(TimeText.human(ended)) (the control passed again)"
        case .closed:
            let close = actions[alert.id]?.last { $0.action == "close" }
            return "closed \(TimeText.human(ended))" + (close.map { " by \($0.actor)" } ?? "") + (alert.remediationNote.map { ": \($0)" } ?? "")
                + (alert.remediationLink.map { " (\($0))" } ?? "")
        default: return "\(alert.state.label) \(TimeText.human(ended))"
        }
    }

    /// The alert's breach time in this period: `in breach 3 Jun 09:00 → 23 Jun 10:00 in this period (20d 1h)`.
    func breachText(_ alert: Alert) -> String {
        let parts = alert.timeline.breaches(deadline: alert.slaDeadline, in: period)
        guard let first = parts.first, let last = parts.last else { return "no breach time in this period" }
        let total = parts.reduce(0) { $0 + $1.duration }
        let end = last.end >= period.end && alert.timeline.isOpen(at: period.end) ? "end of period" : TimeText.human(last.end)
        return "in breach \(TimeText.human(first.start)) → \(end) in this period (\(DurationText.format(total))"
            + (parts.count > 1 ? ", paused by an accepted risk" : "") + ")"
    }

    /// The alert's criteria under the report's framework, as the control's heading names them.
    func criteriaText(_ alert: Alert, _ control: Control?) -> String {
        framework.groups(ofAlert: alert.criteria, control: control).joined(separator: ", ")
    }

    /// The report as Markdown.
    package var markdown: String {
        var lines = ["# Exceptions — \(organisation), \(TimeText.human(period.start)) to \(TimeText.human(period.end))"
                     + (framework == .soc2 ? "" : " (criteria of \(framework.title))"), ""]
        lines.append("## Policy deadlines missed")
        if policyMisses.isEmpty { lines.append("None: every policy deadline of the period (offboarding, training, vendor reports, reviews, attestations) was met.") }
        for (control, alerts) in policyMisses {
            lines.append("")
            lines.append("**\(alerts.count) instance\(alerts.count == 1 ? "" : "s") of “\(control?.title ?? alerts[0].title)” (\(alerts[0].control), \(criteriaText(alerts[0], control))) missing the policy: \(alerts[0].expected)**")
            for alert in alerts {
                let deadline = alert.policyDeadline ?? alert.slaDeadline
                let end = alert.endedAt.flatMap { $0 < period.end ? $0 : nil }
                let late = end.map { "met \(DurationText.format($0.timeIntervalSince(deadline))) after the deadline" }
                    ?? "still not met at the end of the period, \(DurationText.format(period.end.timeIntervalSince(deadline))) after the deadline"
                lines.append("- \(alert.id) \(alert.severity.label), team \(alert.team): \(alert.findings.map(\.resource.name).joined(separator: ", ").nilIfEmpty ?? alert.resourceKey) — policy deadline \(TimeText.human(deadline)); \(late); \(breachText(alert)); \(ending(alert)).")
            }
        }
        lines.append("")
        lines.append("## SLA breaches")
        if breaches.isEmpty { lines.append("None: every alert of the period was remediated within its SLA (or its risk accepted before the deadline).") }
        for (control, alerts) in breaches {
            let title = control?.title ?? alerts[0].title
            let sla = DurationText.format(alerts[0].slaDeadline.timeIntervalSince(alerts[0].openedAt))
            lines.append("")
            lines.append("**\(alerts.count) instance\(alerts.count == 1 ? "" : "s") of “\(title)” (\(alerts[0].control), \(criteriaText(alerts[0], control))) persisting beyond the policy SLA of \(sla)**")
            for alert in alerts {
                lines.append("- \(alert.id) \(alert.severity.label), team \(alert.team): \(alert.findings.map(\.resource.name).joined(separator: ", ").nilIfEmpty ?? alert.resourceKey) — failing since \(TimeText.human(alert.failingSince)), alert opened \(TimeText.human(alert.openedAt)), SLA deadline \(TimeText.human(alert.slaDeadline)); \(breachText(alert)); \(ending(alert)).")
            }
        }
        lines += ["", "## Accepted risks"]
        if accepted.isEmpty { lines.append("None.") }
        for (alert, action) in accepted {
            lines.append("- \(alert.id) \(alert.title) (\(alert.control)): accepted" + (action.map { " by \($0.actor) on \(TimeText.human($0.at))" } ?? "")
                         + " until \((action?.until ?? alert.riskAcceptedUntil).map(TimeText.human) ?? "?") — “\(action?.reason ?? alert.rationale ?? "no rationale recorded")”.")
        }
        lines += ["", "## Remediation notes"]
        if notes.isEmpty { lines.append("None.") }
        for (note, title) in notes {
            lines.append("- \(note.alert)" + (title.map { " \($0)" } ?? "") + ": noted by \(note.actor) on \(TimeText.human(note.at))"
                         + " — “\(note.reason ?? "")”" + (note.link.map { " (\($0))" } ?? "") + ".")
        }
        lines += ["", "## Alerts closed without a link to the remediation"]
        if closedWithoutLink.isEmpty { lines.append("None.") }
        for (alert, action) in closedWithoutLink {
            lines.append("- \(alert.id) \(alert.title) (\(alert.control)): closed" + (action.map { " by \($0.actor) on \(TimeText.human($0.at))" } ?? "")
                         + " — “\(alert.remediationNote ?? "no remediation recorded")”.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
