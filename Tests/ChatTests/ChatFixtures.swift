import Core
import Foundation

/// Fixed times and sample alerts for the chat tests. Nothing here reads the wall clock.
enum ChatFixture {
    /// 2026-02-25 06:13:20 UTC.
    static let t0 = Date(timeIntervalSince1970: 1_772_000_000)
    static let hour: TimeInterval = 3_600
    static let day: TimeInterval = 86_400

    static func at(_ offset: TimeInterval) -> Date { t0.addingTimeInterval(offset) }

    static let alertID = AlertID(7)
    /// The escalation ladder's top level in these tests: team manager (1), then security lead (2).
    static let topLevel = 2

    static func resource(_ id: String, _ name: String) -> ResourceRef {
        ResourceRef(id: id, name: name, kind: "account")
    }

    /// A per-resource offboarding alert: one finding, failing since `t0`, SLA deadline a day later.
    static func alert(in state: AlertState = .open, level: Int = 0, version: Int = 4) -> Alert {
        var alert = Alert(
            id: alertID, control: "offboarding-sla", resourceKey: "github:jsmith", episode: 1, team: "infra",
            severity: .critical, title: "Offboarding SLA: j.smith", criteria: [Criterion("CC6.2")!, Criterion("CC6.3")!],
            expected: "disabled within 24h of termination", observed: "active in GitHub, 72h after termination",
            remediation: "disable the account in GitHub", findings: [
                Finding(resource: resource("github:jsmith", "j.smith"), observed: "active", failingSince: t0),
            ],
            failingSince: t0, openedAt: at(hour), slaDeadline: at(day))
        alert.state = state
        alert.escalationLevel = level
        alert.version = version
        switch state {
        case .acknowledged:
            alert.acknowledgedBy = "dana"
        case .snoozed:
            alert.snoozedUntil = at(3 * day)
            alert.rationale = "waiting for the vendor's fix"
        case .riskAccepted:
            alert.riskAcceptedUntil = at(30 * day)
            alert.rationale = "legacy system, replaced in Q3"
        case .closed:
            alert.remediationNote = "disabled the account"
            alert.remediationLink = "https://tickets.example/OPS-12"
            alert.endedAt = at(2 * hour)
        case .resolved:
            alert.endedAt = at(2 * hour)
        case .open, .escalated:
            break
        }
        return alert
    }

    /// A per-control alert listing `count` failing people, each with its own observation.
    static func groupedAlert(count: Int) -> Alert {
        var alert = alert()
        alert.resourceKey = "*"
        alert.title = "Security training current"
        alert.observed = "\(count) of 40 failing"
        alert.findings = (1...count).map { n in
            let name = String(format: "person-%02d", n)
            return Finding(resource: resource("person:\(name)", name), observed: "lapsed \(n)d ago", failingSince: t0)
        }
        return alert
    }
}
