import Foundation
import Testing
@testable import Core

@Suite("Alert metrics")
struct AlertMetricsTests {
    let t0 = Date(timeIntervalSince1970: 1_772_438_400)

    func alert(_ id: Int64, control: String, failingSince: TimeInterval, opened: TimeInterval, state: AlertState, ended: TimeInterval? = nil,
               sla: TimeInterval = 86_400) -> Alert {
        var a = Alert(id: AlertID(id), control: ControlID(control), resourceKey: "r\(id)", episode: 1, team: "infra", severity: .high,
                      title: "t", criteria: [], expected: "e", observed: "o", remediation: "r", findings: [],
                      failingSince: t0 + failingSince, openedAt: t0 + opened, slaDeadline: t0 + opened + sla)
        a.state = state
        a.endedAt = ended.map { t0 + $0 }
        return a
    }

    func control(_ id: String, automated: Bool = true) -> Control {
        Control(id: ControlID(id), title: id, criteria: [], owner: "infra", severity: .high, cadence: 3_600,
                check: automated ? CheckSpec(type: "mfa") : nil, remediation: "r")
    }

    @Test func mttdMttrRatiosAndCoverageFollowTheirDefinitions() {
        let week = DateInterval(start: t0, duration: 7 * 86_400)
        let alerts = [
            alert(1, control: "a", failingSince: 0, opened: 3_600, state: .resolved, ended: 3 * 3_600),          // detected 1 h, fixed 2 h
            alert(2, control: "a", failingSince: 7_200, opened: 7_200 + 1_800, state: .closed, ended: 7_200 + 1_800 + 7_200), // 30 m, 2 h
            alert(3, control: "b", failingSince: -86_400, opened: 3_600, state: .riskAccepted),                    // 25 h to detect
            alert(4, control: "b", failingSince: 0, opened: 600, state: .open, sla: 3_600),                        // open, SLA breached
            alert(5, control: "c", failingSince: -30 * 86_400, opened: -20 * 86_400, state: .resolved, ended: 86_400), // opened before the week
        ]
        let m = AlertMetrics.compute(alerts: alerts.map(\.facts), controls: [control("a"), control("b"), control("c"), control("m", automated: false)],
                                     ranInPeriod: ["a", "b", "m"], period: week)
        #expect(m.opened == 4)
        let detections: [TimeInterval] = [3_600, 1_800, 90_000, 600]
        #expect(m.mttd == detections.reduce(0, +) / 4)
        // Ended in the week: alerts 1, 2 and 5 (opened earlier, resolved in the week).
        let repairs: [TimeInterval] = [7_200, 7_200, 21 * 86_400]
        #expect(m.mttr == repairs.reduce(0, +) / 3)
        #expect(m.remediated == 2 && m.accepted == 1 && m.stillOpen == 1)
        // Alert 4 is past its deadline in the week; alert 5 (deadline 19 days before) was still in breach on its first
        // day: a breach counts in every period that holds some of it.
        #expect(m.slaBreaches == 2)
        #expect(m.coverage == 0.5)      // a and b ran; c did not; m is manual: 2 of 4
        #expect(m.driftByControl == ["a": 2, "b": 2])
        #expect(m.summary.contains("2 of 4 remediated, 1 risk-accepted") && m.summary.contains("evidence coverage 50%"))
    }

    @Test func aManualControlWithCurrentEvidenceCounts() {
        let week = DateInterval(start: t0, duration: 7 * 86_400)
        let controls = [control("a"), control("m", automated: false), control("n", automated: false)]
        let m = AlertMetrics.compute(alerts: [], controls: controls, ranInPeriod: ["a", "m", "n"], evidencedManual: ["m"], period: week)
        #expect(m.coverage == 2.0 / 3.0, "a ran, m's evidence is current, n's is not")
    }

    /// Per team, criterion and category, each beside the previous period; a group with nothing in a period has no
    /// MTTD/MTTR ("no data"), not zeros.
    @Test func theBreakdownSplitsByGroupWithThePreviousPeriodBeside() {
        let week = DateInterval(start: t0, duration: 7 * 86_400)
        var infra = alert(1, control: "mfa", failingSince: 0, opened: 3_600, state: .resolved, ended: 7_200)
        infra.criteria = [Criterion("CC6.1")!]
        var older = alert(2, control: "mfa", failingSince: -7 * 86_400, opened: -7 * 86_400 + 7_200, state: .closed, ended: -6 * 86_400)
        older.criteria = [Criterion("CC6.1")!]
        var people = alert(3, control: "offboarding", failingSince: 0, opened: 90_000, state: .open, sla: 3_600)
        people.team = "people"
        people.criteria = [Criterion("CC6.2")!]
        var mfa = control("mfa")
        mfa.criteria = [Criterion("CC6.1")!]
        var offboarding = Control(id: "offboarding", title: "o", criteria: [Criterion("CC6.2")!], owner: "people", severity: .high, cadence: 3_600,
                                  check: CheckSpec(type: "offboarding"), remediation: "r")
        offboarding.cadence = 3_600
        let byTeam = MetricsBreakdown.compute(.team, alerts: [infra, older, people].map(\.facts), controls: [mfa, offboarding], ran: ["mfa"], ranBefore: [],
                                              evidencedManual: [], period: week)
        #expect(byTeam.map(\.group) == ["infra", "people"])
        #expect(byTeam[0].current.mttd == 3_600 && byTeam[0].previous.mttd == 7_200, "this week's detection beside last week's")
        #expect(byTeam[0].current.coverage == 1 && byTeam[0].previous.coverage == 0)
        #expect(byTeam[1].current.mttd == 90_000 && byTeam[1].current.mttr == nil && byTeam[1].openRisk == [.high: 1])
        #expect(byTeam[1].previous.mttd == nil && byTeam[1].previous.opened == 0, "no data, not zeros")
        let byCriterion = MetricsBreakdown.compute(.criterion, alerts: [infra, older, people].map(\.facts), controls: [mfa, offboarding], ran: [], ranBefore: [],
                                                   evidencedManual: [], period: week)
        #expect(byCriterion.map(\.group) == ["CC6.1", "CC6.2"])
        let byCategory = MetricsBreakdown.compute(.category, alerts: [infra, people].map(\.facts), controls: [mfa, offboarding], ran: [], ranBefore: [],
                                                  evidencedManual: [], period: week)
        #expect(byCategory.map(\.group) == ["access", "hr"] && byCategory.allSatisfy { $0.mttdTarget == 86_400 })
    }

    @Test func anEmptyPeriodSaysSo() {
        let m = AlertMetrics.compute(alerts: [], controls: [], ranInPeriod: [], period: DateInterval(start: t0, duration: 86_400))
        #expect(m.mttd == nil && m.mttr == nil && m.coverage == 0)
        #expect(m.summary.hasPrefix("MTTD – · MTTR –"))
    }

    /// Periods are half-open: an alert opened, or fixed, exactly where one week ends and the next begins counts in
    /// the next week only, never in both.
    @Test func aMomentOnTheBoundaryBelongsToTheLaterPeriodOnly() {
        let first = DateInterval(start: t0, duration: 7 * 86_400), second = DateInterval(start: first.end, duration: 7 * 86_400)
        let onBoundary = [alert(1, control: "a", failingSince: 7 * 86_400 - 3_600, opened: 7 * 86_400, state: .resolved, ended: 8 * 86_400),
                          alert(2, control: "a", failingSince: 0, opened: 3_600, state: .resolved, ended: 7 * 86_400)].map(\.facts)
        let a = AlertMetrics.compute(alerts: onBoundary, controls: [], ranInPeriod: [], period: first)
        let b = AlertMetrics.compute(alerts: onBoundary, controls: [], ranInPeriod: [], period: second)
        #expect(a.opened == 1 && b.opened == 1)
        #expect(a.mttd == 3_600 && b.mttd == 3_600)
        #expect(a.mttr == nil, "alert 2 was fixed at the first week's end: that is the second week")
        #expect(b.mttr.map { Int($0) } == Int((7 * 86_400 - 3_600 + 86_400) / 2))
    }
}
