import Core
import Foundation

/// Fixed times and sample values shared by the Core tests. Nothing here reads the wall clock.
enum Fixture {
    /// 2026-02-25 06:13:20 UTC.
    static let t0 = Date(timeIntervalSince1970: 1_772_000_000)
    static let minute: TimeInterval = 60
    static let hour: TimeInterval = 3_600
    static let day: TimeInterval = 86_400

    static func at(_ offset: TimeInterval) -> Date { t0.addingTimeInterval(offset) }

    static let alertID = AlertID(7)
    static let dana: Actor = .person("dana")
    static let sam: Actor = .person("sam")
    static let escalator: Actor = .system("escalator")
    static let scheduler: Actor = .system("scheduler")

    static func resource(_ id: String, _ name: String? = nil) -> ResourceRef {
        ResourceRef(id: id, name: name, kind: "account")
    }

    /// A freshly opened alert (version 1, level 0) with its SLA deadline from `policy`.
    static func openAlert(severity: Severity = .critical, openedAt: Date = t0, policy: EscalationPolicy = .standard) -> Alert {
        Alert(
            id: alertID, control: "offboarding-sla", resourceKey: "github:jsmith", episode: 1, team: "infra",
            severity: severity, title: "Offboarding SLA: j.smith", criteria: [Criterion("CC6.2")!],
            expected: "disabled within 24h of termination", observed: "active in GitHub, 72h after termination",
            remediation: "disable the account in GitHub", findings: [
                Finding(resource: resource("github:jsmith", "j.smith"), observed: "active", failingSince: openedAt),
            ],
            failingSince: openedAt, openedAt: openedAt, slaDeadline: openedAt.addingTimeInterval(policy.sla(for: severity)))
    }

    /// When a snooze or acceptance of `alert(in:)` expires: half an hour after opening.
    static let windowEnd = at(30 * minute)

    /// An alert as it looks in `state` (version 5), built field by field rather than through the lifecycle so
    /// each test of the lifecycle starts from a known value. Snoozes and acceptances end at `windowEnd`.
    static func alert(in state: AlertState, severity: Severity = .critical) -> Alert {
        var alert = openAlert(severity: severity)
        alert.version = 5
        alert.state = state
        switch state {
        case .open:
            break
        case .acknowledged:
            alert.acknowledgedBy = "dana"
        case .snoozed:
            alert.snoozedUntil = windowEnd
            alert.rationale = "waiting for the vendor's fix"
        case .escalated:
            alert.escalationLevel = 1
        case .closed:
            alert.remediationNote = "disabled the account"
            alert.endedAt = at(45 * minute)
        case .riskAccepted:
            alert.riskAcceptedUntil = windowEnd
            alert.rationale = "legacy system, retired next quarter"
        case .resolved:
            alert.endedAt = at(45 * minute)
        }
        return alert
    }
}
