import Foundation

/// Timing rules for alerts: how long until an unacknowledged alert escalates, the remediation SLA,
/// and how long people may snooze or accept a risk. Seed defaults: SLA critical 4 h, high 24 h, medium 7 d, low 30 d.
package struct EscalationPolicy: Codable, Sendable, Equatable {
    /// Seconds an alert may stay unacknowledged before it escalates to level 1 (the team manager).
    package var ackTimeout: [Severity: TimeInterval]
    /// Seconds from opening until the remediation SLA is breached; a breach escalates one level.
    package var sla: [Severity: TimeInterval]
    /// Longest snooze a person may set, in seconds.
    package var maxSnooze: TimeInterval
    /// Longest risk acceptance a person may set, in seconds.
    package var maxRiskAcceptance: TimeInterval
    /// Who is told at each level, index 0 being where the alert is first posted.
    package var levels: [EscalationTarget]

    package static let standard = EscalationPolicy(
        ackTimeout: [.critical: 30 * 60, .high: 4 * 3_600, .medium: 24 * 3_600, .low: 72 * 3_600],
        sla: [.critical: 4 * 3_600, .high: 24 * 3_600, .medium: 7 * 86_400, .low: 30 * 86_400],
        maxSnooze: 14 * 86_400,
        maxRiskAcceptance: 180 * 86_400,
        levels: [.teamChannel, .teamManager, .securityLeads])

    package init(ackTimeout: [Severity: TimeInterval], sla: [Severity: TimeInterval], maxSnooze: TimeInterval,
                 maxRiskAcceptance: TimeInterval, levels: [EscalationTarget]) {
        self.ackTimeout = ackTimeout; self.sla = sla; self.maxSnooze = maxSnooze
        self.maxRiskAcceptance = maxRiskAcceptance; self.levels = levels
    }

    package func ackTimeout(for severity: Severity) -> TimeInterval {
        ackTimeout[severity] ?? EscalationPolicy.standard.ackTimeout[severity]!
    }
    package func sla(for severity: Severity) -> TimeInterval {
        sla[severity] ?? EscalationPolicy.standard.sla[severity]!
    }
    /// The highest escalation level (levels are numbered from 0).
    package var topLevel: Int { max(0, levels.count - 1) }
}

/// Who hears about an alert at an escalation level.
package enum EscalationTarget: String, Codable, Sendable, CaseIterable {
    /// The owning team's channel for the alert's severity.
    case teamChannel = "team_channel"
    /// The owning team's manager, by direct message.
    case teamManager = "team_manager"
    /// The team's escalation contacts, else the organisation's security leads, by direct message.
    case securityLeads = "security_leads"
}
