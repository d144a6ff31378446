import Core
import Foundation

/// Builds the chat message for an alert: pure, from the alert (and its control's title) to a `ChatMessage`.
package enum AlertMessage {
    /// The alert as the channel sees it: severity and title, control and TSC criteria, expected vs observed,
    /// affected resources, since when, SLA deadline, state, remediation and the actions available now.
    /// How long the failure went on before the bot raised it, when a day or more (an expired report, a leaver found
    /// late): " (22 days before this alert)". Fixed at the alert's opening, so the message does not change daily.
    static func lead(_ alert: Alert) -> String {
        let days = Int(alert.openedAt.timeIntervalSince(alert.failingSince) / 86_400)
        return days >= 1 ? " (\(days) day\(days == 1 ? "" : "s") before this alert)" : ""
    }

    package static func render(_ alert: Alert, topLevel: Int) -> ChatMessage {
        var fields: [ChatMessage.Field] = [
            .init("Alert", "\(alert.id) · \(alert.state.label)\(alert.escalationLevel > 0 ? " · escalation level \(alert.escalationLevel)" : "")"),
            .init("Control", "\(alert.control) (\(alert.criteria.map(\.rawValue).joined(separator: ", ")))"),
            .init("Owner", alert.team.rawValue),
            .init("Expected", alert.expected),
            .init("Observed", alert.observed),
            .init("Failing since", TimeText.human(alert.failingSince) + lead(alert)),
            .init("SLA deadline", TimeText.human(alert.slaDeadline) + (alert.slaBreachedAt != nil ? " (breached)" : "")),
        ]
        switch alert.state {
        case .acknowledged:
            if let by = alert.acknowledgedBy { fields.append(.init("Acknowledged by", by.rawValue)) }
        case .snoozed:
            fields.append(.init("Snoozed until", "\(alert.snoozedUntil.map(TimeText.human) ?? "?") — \(alert.rationale ?? "")"))
        case .riskAccepted:
            fields.append(.init("Risk accepted until", "\(alert.riskAcceptedUntil.map(TimeText.human) ?? "?") — \(alert.rationale ?? "")"))
        case .closed:
            fields.append(.init("Remediation", (alert.remediationNote ?? "") + (alert.remediationLink.map { " (\($0))" } ?? "")))
        case .resolved:
            if let ended = alert.endedAt { fields.append(.init("Resolved at", TimeText.human(ended))) }
        case .open, .escalated:
            break
        }
        let resources = alert.findings.map { finding in
            finding.observed == alert.observed || alert.findings.count == 1
                ? finding.resource.name
                : "\(finding.resource.name): \(finding.observed)"
        }
        return ChatMessage(
            severity: alert.severity, title: alert.title, fields: fields, resources: resources,
            remediation: alert.state.isEnded ? nil : alert.remediation,
            actions: actions(for: alert, topLevel: topLevel), alert: alert.id)
    }

    /// The actions that make sense in the alert's state (the state machine refuses the rest anyway).
    package static func actions(for alert: Alert, topLevel: Int) -> [ChatAction] {
        let kinds: [ChatAction.Kind]
        switch alert.state {
        case .open: kinds = [.acknowledge, .snooze, .escalate, .close, .accept, .evidence]
        case .acknowledged: kinds = [.snooze, .escalate, .close, .accept, .evidence]
        case .snoozed: kinds = [.acknowledge, .escalate, .close, .evidence]
        case .escalated: kinds = [.acknowledge, .snooze, .escalate, .close, .accept, .evidence]
        case .riskAccepted: kinds = [.close, .evidence]
        case .closed, .resolved: kinds = [.evidence]
        }
        return kinds.filter { $0 != .escalate || alert.escalationLevel < topLevel }
            .map { ChatAction(kind: $0, alert: alert.id, version: alert.version) }
    }

    /// An update: the re-rendered alert plus the thread line.
    package static func update(_ alert: Alert, line: String, at: Date, broadcast: Bool, topLevel: Int) -> ChatMessage {
        var message = render(alert, topLevel: topLevel)
        message.threadLine = "\(TimeText.human(at)) · \(line)"
        message.broadcast = broadcast
        return message
    }

    /// The direct message to a manager or security lead when an alert escalates to them: who escalated it and their
    /// note when a person did, else which deadline the team missed.
    package static func escalation(_ alert: Alert, level: Int, recipient: Person, topLevel: Int) -> ChatMessage {
        var message = render(alert, topLevel: topLevel)
        let why: String
        if let last = alert.lastTransition, last.action == "escalate", case .person = last.actor {
            why = "\(last.actor) escalated it" + (last.reason.map { $0.isEmpty ? "." : ": “\($0)”" } ?? ".")
        } else {
            why = "team \(alert.team) has not " + (alert.slaBreachedAt != nil ? "remediated it within the SLA." : "acknowledged it in time.")
        }
        message.body = "\(recipient.name): \(alert.id) escalated to you (level \(level)); " + why
        message.purpose = .escalation
        return message
    }

    /// The message to the security leads when a message could not be delivered for good: which alert (or none),
    /// where, why and since when, and what to do.
    package static func undelivered(alert: AlertID?, kind: DeliveryKind, destination: ChatDestination, reason: String, since: Date) -> ChatMessage {
        let what = kind.noun
        return ChatMessage(
            title: "Undelivered: \(alert.map { "\($0) " } ?? "")\(what) to \(destination.platform.rawValue) \(destination.address)",
            fields: [.init("Alert", alert?.description ?? "none"), .init("Platform", destination.platform.rawValue),
                     .init("Destination", destination.description), .init("Reason", reason), .init("Since", TimeText.human(since))],
            body: "The bot gave up on this \(what): retrying cannot deliver it. Fix the cause (the channel, the bot's membership "
                + "or token, the person's chat id); the alert's next change posts it anew. `soc2bot status` lists every undelivered message.",
            purpose: .undelivered)
    }
}

extension DeliveryKind {
    /// What a message of this kind is, in reports and notices: `alert`, `alert update`, `direct message`, `reply`.
    package var noun: String {
        switch self {
        case .post: "alert"
        case .update: "alert update"
        case .direct: "direct message"
        case .reply: "reply"
        }
    }
}
