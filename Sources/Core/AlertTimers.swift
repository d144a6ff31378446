import Foundation

/// When the escalator must next look at an alert, and what it will do then. Pure: time is passed in.
package enum AlertTimers {
    /// The earliest pending timer of `alert`: a snooze or acceptance expiry (`wake`), the acknowledgement
    /// timeout (`ackTimeout`, only while open at level 0, counted from the policy deadline for an alert raised before
    /// it) or the remediation SLA (`slaBreach`, once).
    package static func next(for alert: Alert, policy: EscalationPolicy) -> (at: Date, action: AlertAction)? {
        var candidates: [(Date, AlertAction)] = []
        switch alert.state {
        case .snoozed:
            if let until = alert.snoozedUntil { candidates.append((until, .wake)) }
        case .riskAccepted:
            if let until = alert.riskAcceptedUntil { candidates.append((until, .wake)) }
        case .open, .acknowledged, .escalated:
            if alert.state == .open, alert.escalationLevel == 0, policy.topLevel >= 1 {
                // An alert raised ahead of its policy deadline (offboarding's clock starting at the termination, a
                // training due date coming up) is a notice until then: nobody is chased before the policy is broken.
                let window = max(alert.awakeSince, alert.policyDeadline ?? alert.awakeSince)
                candidates.append((window.addingTimeInterval(policy.ackTimeout(for: alert.severity)), .ackTimeout))
            }
            if alert.slaBreachedAt == nil { candidates.append((alert.slaDeadline, .slaBreach)) }
        case .closed, .resolved:
            break
        }
        return candidates.min { $0.0 < $1.0 }
    }

    /// Every timer of `alert` due at `now`, in the order they fell due.
    package static func due(for alert: Alert, at now: Date, policy: EscalationPolicy) -> AlertAction? {
        guard let next = next(for: alert, policy: policy), next.at <= now else { return nil }
        return next.action
    }
}
