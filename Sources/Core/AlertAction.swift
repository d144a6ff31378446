import Foundation

/// Something that can happen to an alert, from a person or from the bot itself.
package enum AlertAction: Sendable, Equatable {
    // People
    case acknowledge
    case snooze(until: Date, rationale: String)
    case escalate(note: String?)
    case close(remediation: String, link: String?)
    case acceptRisk(until: Date, rationale: String)
    // The bot
    /// The control passes again for this alert's resource(s).
    case resolve
    /// A grouped alert's list of failing resources changed.
    case updateFindings([Finding], observed: String)
    /// The alert stayed unacknowledged past the acknowledgement timeout.
    case ackTimeout
    /// The remediation SLA passed.
    case slaBreach
    /// A snooze or a risk acceptance expired: the alert is live again and re-fires.
    case wake

    /// Stable name used in the ledger and thread lines.
    package var name: String {
        switch self {
        case .acknowledge: "acknowledge"
        case .snooze: "snooze"
        case .escalate: "escalate"
        case .close: "close"
        case .acceptRisk: "accept_risk"
        case .resolve: "resolve"
        case .updateFindings: "update_findings"
        case .ackTimeout: "ack_timeout"
        case .slaBreach: "sla_breach"
        case .wake: "wake"
        }
    }

    /// Actions people take (and may be refused); the rest are the bot's own.
    package var isHuman: Bool {
        switch self {
        case .acknowledge, .snooze, .escalate, .close, .acceptRisk: true
        default: false
        }
    }
}

/// A request to change an alert: the action with its who, when, where and the version the actor saw.
package struct AlertRequest: Sendable, Equatable {
    package var action: AlertAction
    package var actor: Actor
    package var surface: Surface
    package var at: Date
    /// The version the actor saw (a button carries it); nil when acting on "whatever is current" (a typed command).
    package var expectedVersion: Int?

    package init(_ action: AlertAction, by actor: Actor, via surface: Surface, at: Date, expectedVersion: Int? = nil) {
        self.action = action; self.actor = actor; self.surface = surface; self.at = at; self.expectedVersion = expectedVersion
    }
}

/// Why a request was refused, phrased for the person who asked.
package enum AlertRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case rationaleRequired(action: String)
    case remediationRequired
    case durationNotInFuture
    case durationTooLong(action: String, max: TimeInterval)
    case alertEnded(AlertID, AlertState)
    case staleVersion(AlertID, seen: Int, current: Int, state: AlertState)
    case notAllowed(action: String, state: AlertState)
    case alreadyAtTopLevel(AlertID, level: Int)

    package var description: String {
        switch self {
        case .rationaleRequired(let action):
            "\(action) needs a rationale: say why, e.g. `waiting for the vendor's fix`."
        case .remediationRequired:
            "close needs the remediation: say what was done, e.g. `re-enabled MFA, ticket OPS-12`."
        case .durationNotInFuture:
            "the duration must be positive, e.g. `2d` or `4h`."
        case .durationTooLong(let action, let max):
            "\(action) may last at most \(DurationText.format(max)) (escalation policy); choose a shorter duration."
        case .alertEnded(let id, let state):
            "\(id) is \(state.label); nothing more can be done to it. A new failure opens a new alert."
        case .staleVersion(let id, let seen, let current, let state):
            "\(id) changed since you looked (version \(seen), now \(current), \(state.label)); look again and retry."
        case .notAllowed(let action, let state):
            "cannot \(action) an alert that is \(state.label)."
        case .alreadyAtTopLevel(let id, let level):
            "\(id) is already escalated to the highest level (\(level))."
        }
    }
}

/// What the engine must do after a transition, in the same transaction.
package enum AlertEffect: Sendable, Equatable {
    /// Post the alert to the owning team's channel for its severity (opening).
    case postAlert
    /// Edit the alert's message in place and add one line to its thread; `broadcast` also tells the channel (re-fire).
    case updateAlert(line: String, broadcast: Bool)
    /// Tell the people of this escalation level (manager DM, security leads).
    case notifyEscalation(level: Int)
}

/// The outcome of a request that was not refused.
package enum TransitionOutcome: Sendable, Equatable {
    case changed(Alert, AlertTransition, [AlertEffect])
    /// Nothing to do: a repeated click, or the alert is already where the action would put it.
    case unchanged(String)
}
