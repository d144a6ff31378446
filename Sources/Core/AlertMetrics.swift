import Foundation

/// Program metrics over alert histories for a period, computed from the alerts themselves (not from counters that
/// can drift). Definitions (also in docs/metrics.md):
/// - **MTTD**: mean time from when a failure began (the source's time, else the first failing run) to its alert
///   opening, over alerts opened in the period.
/// - **MTTR**: mean time from an alert opening to its control passing again (resolved) or its closing with the
///   remediation recorded, over alerts that ended so in the period.
/// - **Evidence coverage**: controls with evidence in the period — an automated control that ran, a manual control
///   whose evidence (recorded from chat) is current — over all controls.
/// - **Remediation ratio**: of alerts opened in the period, how many were remediated (resolved or closed) by its end,
///   against those risk-accepted or still open at its end.
/// - **Policy deadlines missed**: the same, for alerts of a control that enforces a policy deadline of its own
///   (their SLA deadline is that deadline); counted apart from SLA breaches.
/// - **SLA breaches**: alerts with breach time inside the period (`AlertTimeline`): past the deadline, not ended and
///   not under an accepted risk. A breach spanning several periods counts in each.
/// - **Drift**: alerts opened in the period (each is a pass → fail transition past tolerance), per control.
package struct AlertMetrics: Sendable, Equatable {
    package var period: DateInterval
    package var mttd: TimeInterval?
    package var mttr: TimeInterval?
    package var opened: Int
    package var remediated: Int
    package var accepted: Int
    package var stillOpen: Int
    package var slaBreaches: Int
    /// Alerts whose control's own policy deadline (offboarding, training, vendor report, review, attestation) was
    /// missed with breach time in the period; counted apart from `slaBreaches`.
    package var policyBreaches: Int
    package var coverage: Double
    package var driftByControl: [ControlID: Int]

    /// - Parameters:
    ///   - ranInPeriod: the automated controls that recorded at least one run in the period.
    ///   - evidencedManual: the manual controls whose evidence is current.
    package static func compute(alerts: [AlertFacts], controls: [Control], ranInPeriod: Set<ControlID>, evidencedManual: Set<ControlID> = [],
                                period: DateInterval) -> AlertMetrics {
        let openedHere = alerts.filter { period.spans($0.openedAt) }
        // Every count is as of the period's end, from each alert's timeline: what was true then, not what is now.
        let endedHere = alerts.filter { $0.timeline.endedAt.map(period.spans) == true }
        func mean(_ values: [TimeInterval]) -> TimeInterval? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        let covered = controls.filter { $0.isAutomated ? ranInPeriod.contains($0.id) : evidencedManual.contains($0.id) }.count
        let stateAtEnd = openedHere.map { $0.timeline.state(before: period.end) }
        return AlertMetrics(
            period: period,
            mttd: mean(openedHere.map { max(0, $0.openedAt.timeIntervalSince($0.failingSince)) }),
            mttr: mean(endedHere.compactMap { alert in alert.timeline.endedAt.map { max(0, $0.timeIntervalSince(alert.openedAt)) } }),
            opened: openedHere.count,
            remediated: stateAtEnd.filter { $0?.isEnded == true }.count,
            accepted: stateAtEnd.filter { $0 == .riskAccepted }.count,
            stillOpen: stateAtEnd.filter { $0.map { !$0.isEnded && $0 != .riskAccepted } ?? false }.count,
            slaBreaches: alerts.filter { $0.breachedRemediationSLA(in: period) }.count,
            policyBreaches: alerts.filter { $0.missedPolicy(in: period) }.count,
            coverage: controls.isEmpty ? 0 : Double(covered) / Double(controls.count),
            driftByControl: Dictionary(grouping: openedHere, by: \.control).mapValues(\.count))
    }

    /// One line for status views: `MTTD 47m · MTTR 3h 12m · 5 of 7 remediated · coverage 92%`.
    package var summary: String {
        [
            "MTTD " + (mttd.map(DurationText.format) ?? "–"),
            "MTTR " + (mttr.map(DurationText.format) ?? "–"),
            "\(remediated) of \(opened) remediated" + (accepted > 0 ? ", \(accepted) risk-accepted" : ""),
            "\(slaBreaches) SLA breach\(slaBreaches == 1 ? "" : "es")" + (policyBreaches > 0 ? ", \(policyBreaches) policy deadline\(policyBreaches == 1 ? "" : "s") missed" : ""),
            "evidence coverage \(Int((coverage * 100).rounded()))%",
        ].joined(separator: " · ")
    }
}
