import Foundation

/// The alert state machine: a pure function from (alert, request) to the new alert and the effects to perform.
///
/// States: open → acknowledged → snoozed(until, rationale) → escalated(level) → closed(remediation) |
/// risk_accepted(rationale, until) | resolved (automatic). Snoozes and acceptances always expire (`wake`).
/// Refusals are thrown as `AlertRefusal`; a repeated click or an action already in effect is `.unchanged`.
package struct AlertLifecycle: Sendable {
    package var maxSnooze: TimeInterval
    package var maxRiskAcceptance: TimeInterval
    /// Highest escalation level, counted from 0 (the team channel).
    package var topLevel: Int

    package init(policy: EscalationPolicy) {
        maxSnooze = policy.maxSnooze
        maxRiskAcceptance = policy.maxRiskAcceptance
        topLevel = policy.topLevel
    }

    package func apply(_ request: AlertRequest, to alert: Alert) throws(AlertRefusal) -> TransitionOutcome {
        if let seen = request.expectedVersion, seen < alert.version, let last = alert.lastTransition,
           last.actor == request.actor, last.action == request.action.name {
            return .unchanged("already done: \(last.action) by \(last.actor) at \(TimeText.human(last.at)).")
        }
        // Before the version check: a button on an ended alert always carries an older version, and "look again
        // and retry" would be wrong advice — no retry can succeed.
        if alert.state.isEnded {
            if request.action.isHuman {
                if case .close = request.action, alert.state == .closed {
                    return .unchanged("\(alert.id) is already closed.")
                }
                throw .alertEnded(alert.id, alert.state)
            }
            return .unchanged("\(alert.id) is \(alert.state.label).")
        }
        if let seen = request.expectedVersion, seen != alert.version {
            throw .staleVersion(alert.id, seen: seen, current: alert.version, state: alert.state)
        }
        try validate(request)

        var next = alert
        var effects: [AlertEffect] = []
        let who = request.actor.description
        var reason: String?
        var line: String

        switch request.action {
        case .acknowledge:
            switch alert.state {
            case .acknowledged:
                return .unchanged("\(alert.id) is already acknowledged by \(alert.acknowledgedBy?.rawValue ?? "someone").")
            case .riskAccepted:
                throw .notAllowed(action: "acknowledge", state: alert.state)
            default:
                line = alert.state == .snoozed ? "\(who) acknowledged (snooze ended early)" : "\(who) acknowledged"
                next.state = .acknowledged
                next.snoozedUntil = nil
                if case .person(let id) = request.actor { next.acknowledgedBy = id }
            }
        case .snooze(let until, let rationale):
            guard alert.state != .riskAccepted else { throw .notAllowed(action: "snooze", state: alert.state) }
            next.state = .snoozed
            next.snoozedUntil = until
            next.rationale = rationale
            reason = rationale
            line = "\(who) snoozed until \(TimeText.human(until)) — \(rationale)"
        case .escalate(let note):
            guard alert.state != .riskAccepted else { throw .notAllowed(action: "escalate", state: alert.state) }
            guard alert.escalationLevel < topLevel else { throw .alreadyAtTopLevel(alert.id, level: alert.escalationLevel) }
            next.escalationLevel += 1
            next.state = .escalated
            next.snoozedUntil = nil
            reason = note
            line = "\(who) escalated to level \(next.escalationLevel)" + (note.map { " — \($0)" } ?? "")
            effects.append(.notifyEscalation(level: next.escalationLevel))
        case .close(let remediation, let link):
            next.state = .closed
            next.endedAt = request.at
            next.remediationNote = remediation
            next.remediationLink = link
            reason = remediation
            line = "\(who) closed — \(remediation)" + (link.map { " (\($0))" } ?? "")
        case .acceptRisk(let until, let rationale):
            next.state = .riskAccepted
            next.riskAcceptedUntil = until
            next.snoozedUntil = nil
            next.rationale = rationale
            reason = rationale
            line = "\(who) accepted the risk until \(TimeText.human(until)) — \(rationale)"
        case .resolve:
            next.state = .resolved
            next.endedAt = request.at
            line = "resolved: the control passes again"
        case .updateFindings(let findings, let observed):
            guard findings != alert.findings || observed != alert.observed else {
                return .unchanged("\(alert.id) findings unchanged.")
            }
            next.findings = findings
            next.observed = observed
            line = Self.describeChange(from: alert.findings, to: findings, observed: observed)
        case .ackTimeout:
            guard alert.state == .open, alert.escalationLevel == 0, topLevel >= 1 else {
                return .unchanged("\(alert.id) needs no acknowledgement escalation.")
            }
            next.state = .escalated
            next.escalationLevel = 1
            line = "not acknowledged within the \(alert.severity) timeout: escalated to level 1"
            effects.append(.notifyEscalation(level: 1))
        case .slaBreach:
            guard alert.isActive, alert.slaBreachedAt == nil else {
                return .unchanged("\(alert.id) SLA breach already handled or not active.")
            }
            next.slaBreachedAt = request.at
            if alert.escalationLevel < topLevel {
                next.escalationLevel += 1
                next.state = .escalated
                line = "remediation SLA breached (deadline \(TimeText.human(alert.slaDeadline))): escalated to level \(next.escalationLevel)"
                effects.append(.notifyEscalation(level: next.escalationLevel))
            } else {
                line = "remediation SLA breached (deadline \(TimeText.human(alert.slaDeadline)))"
            }
        case .wake:
            switch alert.state {
            case .snoozed where (alert.snoozedUntil ?? .distantPast) <= request.at:
                line = "snooze expired: the control still fails"
            case .riskAccepted where (alert.riskAcceptedUntil ?? .distantPast) <= request.at:
                line = "risk acceptance expired: the control still fails"
            default:
                return .unchanged("\(alert.id) is not due to wake.")
            }
            next.state = alert.escalationLevel > 0 ? .escalated : .open
            next.snoozedUntil = nil
            next.riskAcceptedUntil = nil
            next.acknowledgedBy = nil
            next.awakeSince = request.at
            effects.append(.updateAlert(line: line, broadcast: true))
        }

        next.version += 1
        if next.state != alert.state || next.riskAcceptedUntil != alert.riskAcceptedUntil {
            var timeline = alert.timeline
            timeline.record(AlertTimeline.Step(at: request.at, state: next.state, until: next.state == .riskAccepted ? next.riskAcceptedUntil : nil))
            next.history = timeline
        }
        let transition = AlertTransition(
            alert: alert.id, version: next.version, at: request.at, actor: request.actor, surface: request.surface,
            action: request.action.name, from: alert.state, to: next.state, reason: reason)
        next.lastTransition = transition
        if !effects.contains(where: { if case .updateAlert = $0 { true } else { false } }) {
            effects.insert(.updateAlert(line: line, broadcast: false), at: 0)
        }
        return .changed(next, transition, effects)
    }

    private func validate(_ request: AlertRequest) throws(AlertRefusal) {
        switch request.action {
        case .snooze(let until, let rationale):
            try Self.validateWindow(action: "snooze", until: until, at: request.at, max: maxSnooze, rationale: rationale)
        case .acceptRisk(let until, let rationale):
            try Self.validateWindow(action: "accept", until: until, at: request.at, max: maxRiskAcceptance, rationale: rationale)
        case .close(let remediation, _):
            if remediation.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .remediationRequired }
        default:
            break
        }
    }

    private static func validateWindow(action: String, until: Date, at: Date, max: TimeInterval, rationale: String) throws(AlertRefusal) {
        if rationale.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .rationaleRequired(action: action) }
        if until <= at { throw .durationNotInFuture }
        if until.timeIntervalSince(at) > max + 0.5 { throw .durationTooLong(action: action, max: max) }
    }

    private static func describeChange(from old: [Finding], to new: [Finding], observed: String) -> String {
        let before = Set(old.map(\.resource.id)), after = Set(new.map(\.resource.id))
        let added = new.filter { !before.contains($0.resource.id) }.map(\.resource.name)
        let removed = old.filter { !after.contains($0.resource.id) }.map(\.resource.name)
        var parts = ["now \(new.count) failing"]
        if !added.isEmpty { parts.append("+ " + added.prefix(5).joined(separator: ", ") + (added.count > 5 ? " …" : "")) }
        if !removed.isEmpty { parts.append("− " + removed.prefix(5).joined(separator: ", ") + (removed.count > 5 ? " …" : "")) }
        if added.isEmpty && removed.isEmpty { parts.append(observed) }
        return parts.joined(separator: "; ")
    }
}
