import Foundation

/// Where an alert is in its lifecycle.
package enum AlertState: String, Codable, Sendable, CaseIterable {
    case open, acknowledged, snoozed, escalated, closed
    case riskAccepted = "risk_accepted"
    case resolved

    /// Closed and resolved alerts are history: no action changes them; a new failure opens a new episode.
    package var isEnded: Bool { self == .closed || self == .resolved }
    package var label: String {
        switch self {
        case .riskAccepted: "risk accepted"
        default: rawValue
        }
    }
}

/// One failing resource listed on an alert.
package struct Finding: Codable, Sendable, Equatable, Hashable {
    package var resource: ResourceRef
    package var observed: String
    package var failingSince: Date

    package init(resource: ResourceRef, observed: String, failingSince: Date) {
        self.resource = resource; self.observed = observed; self.failingSince = failingSince
    }
}

/// Who did something to an alert.
package enum Actor: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    case person(PersonID)
    /// A part of the bot: `scheduler`, `escalator`.
    case system(String)

    package var description: String {
        switch self {
        case .person(let id): id.rawValue
        case .system(let name): "soc2bot/\(name)"
        }
    }

    /// Encoded as its description (`dana`, `soc2bot/escalator`) so ledger entries read plainly.
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = text.hasPrefix("soc2bot/") ? .system(String(text.dropFirst(8))) : .person(PersonID(text))
    }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Where an action came from: a chat platform, the command line, a scenario or the bot itself. Encoded as one
/// string — the platform's id, `cli`, `scenario`, `system` — as it always was, so ledger entries and their hashes
/// do not change.
package enum Surface: Codable, Sendable, Hashable, CustomStringConvertible {
    case chat(ChatPlatform)
    case cli, scenario, system

    package var rawValue: String {
        switch self {
        case .chat(let platform): platform.rawValue
        case .cli: "cli"
        case .scenario: "scenario"
        case .system: "system"
        }
    }

    package init(rawValue: String) {
        switch rawValue {
        case "cli": self = .cli
        case "scenario": self = .scenario
        case "system": self = .system
        default: self = .chat(ChatPlatform(rawValue: rawValue))
        }
    }

    package var description: String { rawValue }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard !text.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an empty surface"))
        }
        self.init(rawValue: text)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A record of one change to an alert: who, what, when, where, why. Ledger evidence and the thread line.
package struct AlertTransition: Codable, Sendable, Equatable {
    package var alert: AlertID
    /// The alert's version after this transition.
    package var version: Int
    package var at: Date
    package var actor: Actor
    package var surface: Surface
    package var action: String
    package var from: AlertState?
    package var to: AlertState
    package var reason: String?
}

/// An alert: one episode of a control failing on a resource (or on a group of resources).
package struct Alert: Codable, Sendable, Equatable {
    package var id: AlertID
    package var control: ControlID
    /// The failing resource's id, or `*` for a control that groups its resources into one alert.
    package var resourceKey: String
    /// 1 for the first failure of this control+resource, then one more per regression.
    package var episode: Int
    package var team: TeamID
    package var severity: Severity
    package var title: String
    package var criteria: [Criterion]
    package var expected: String
    package var observed: String
    package var remediation: String
    package var findings: [Finding]
    package var state: AlertState
    /// When the failure began (from the source, else the first failing run).
    package var failingSince: Date
    package var openedAt: Date
    package var slaDeadline: Date
    /// The policy's own deadline when the control enforces one (offboarding, training, vendor reports, reviews,
    /// attestations): then `slaDeadline` is this moment, and missing it is a policy exception of its own.
    package var policyDeadline: Date?
    /// Start of the current acknowledgement window: opening, or the moment a snooze or acceptance expired.
    package var awakeSince: Date
    package var acknowledgedBy: PersonID?
    package var snoozedUntil: Date?
    package var rationale: String?
    package var riskAcceptedUntil: Date?
    package var escalationLevel: Int
    package var slaBreachedAt: Date?
    package var remediationNote: String?
    package var remediationLink: String?
    package var endedAt: Date?
    /// Compare-and-set version: 1 at opening, one more per transition.
    package var version: Int
    /// The most recent transition, used to recognise a repeated click.
    package var lastTransition: AlertTransition?
    /// Its states over time, recorded by the lifecycle (nil only in alerts stored before timelines were kept; the store
    /// fills those in from the ledger when it migrates). Read `timeline`.
    package var history: AlertTimeline?

    package init(id: AlertID, control: ControlID, resourceKey: String, episode: Int, team: TeamID, severity: Severity,
                 title: String, criteria: [Criterion], expected: String, observed: String, remediation: String,
                 findings: [Finding], failingSince: Date, openedAt: Date, slaDeadline: Date) {
        self.id = id; self.control = control; self.resourceKey = resourceKey; self.episode = episode
        self.team = team; self.severity = severity; self.title = title; self.criteria = criteria
        self.expected = expected; self.observed = observed; self.remediation = remediation; self.findings = findings
        self.state = .open; self.failingSince = failingSince; self.openedAt = openedAt; self.slaDeadline = slaDeadline
        self.awakeSince = openedAt; self.escalationLevel = 0; self.version = 1
        self.history = AlertTimeline(openedAt: openedAt)
    }

    /// Its states over time (see `AlertTimeline`), ending in its current state; approximated from that state if it
    /// predates timelines.
    package var timeline: AlertTimeline {
        (history ?? AlertTimeline(openedAt: openedAt))
            .reconciled(state: state, endedAt: endedAt, lastChange: lastTransition?.at, acceptedUntil: riskAcceptedUntil)
    }

    /// Whether the alert had been in breach of its remediation SLA by `now`: past the deadline, not ended and not
    /// under an accepted risk, at some moment before `now` (see `AlertTimeline`).
    package func breachedSLA(at now: Date) -> Bool { facts.breachedSLA(at: now) }

    /// What the program metrics need of this alert.
    package var facts: AlertFacts {
        AlertFacts(id: id, control: control, title: title, team: team, severity: severity, criteria: criteria, state: state, failingSince: failingSince,
                   openedAt: openedAt, slaDeadline: slaDeadline, slaBreachedAt: slaBreachedAt, endedAt: endedAt, timeline: timeline,
                   policyDeadline: policyDeadline)
    }

    /// The alert as it stood at `moment` (nil: not yet opened then): its state and ending from its timeline. Other
    /// fields (findings, escalation level) are today's; views that show a past moment read state and SLA from this.
    package func asOf(_ moment: Date) -> Alert? {
        let timeline = self.timeline
        guard let state = timeline.state(at: moment) else { return nil }
        var then = self
        then.state = state
        if let ended = endedAt, ended > moment { then.endedAt = nil }
        if state != .riskAccepted { then.riskAcceptedUntil = nil }
        return then
    }

    /// Not closed, resolved or waiting on a snooze/acceptance: the escalator's clock runs.
    package var isActive: Bool { state == .open || state == .acknowledged || state == .escalated }
}

/// The part of an alert the program metrics and the dashboard's lists read: what and whose it is, how severe, and its
/// timeline. The store keeps these in the alert row's own columns, so views over weeks of history read them without
/// decoding any alert body.
package struct AlertFacts: Sendable, Equatable {
    package var id: AlertID
    package var control: ControlID
    package var title: String
    package var team: TeamID
    package var severity: Severity
    package var criteria: [Criterion]
    package var state: AlertState
    package var failingSince: Date
    package var openedAt: Date
    package var slaDeadline: Date
    package var slaBreachedAt: Date?
    package var endedAt: Date?
    /// Its states over time: what every "as of then" question reads.
    package var timeline: AlertTimeline
    /// See `Alert.policyDeadline`: set, the alert's breach is a missed policy deadline rather than a remediation SLA.
    package var policyDeadline: Date?

    package init(id: AlertID, control: ControlID, title: String, team: TeamID, severity: Severity, criteria: [Criterion], state: AlertState,
                 failingSince: Date, openedAt: Date, slaDeadline: Date, slaBreachedAt: Date?, endedAt: Date?, timeline: AlertTimeline? = nil,
                 policyDeadline: Date? = nil) {
        self.id = id; self.control = control; self.title = title; self.team = team; self.severity = severity; self.criteria = criteria; self.state = state
        self.failingSince = failingSince; self.openedAt = openedAt; self.slaDeadline = slaDeadline; self.slaBreachedAt = slaBreachedAt
        self.endedAt = endedAt
        self.timeline = timeline ?? .approximate(openedAt: openedAt, state: state, endedAt: endedAt, lastChange: nil, acceptedUntil: nil)
        self.policyDeadline = policyDeadline
    }

    /// A missed policy deadline in `period` (see `policyDeadline`): the breach of a check that enforces one.
    package func missedPolicy(in period: DateInterval) -> Bool { policyDeadline != nil && breachedSLA(in: period) }

    /// A remediation SLA breach in `period`, for an alert whose control sets no policy deadline of its own.
    package func breachedRemediationSLA(in period: DateInterval) -> Bool { policyDeadline == nil && breachedSLA(in: period) }

    /// See `Alert.breachedSLA(at:)`.
    package func breachedSLA(at now: Date) -> Bool { timeline.breached(deadline: slaDeadline, by: now) }

    /// Whether any of its breach time falls in `period`: the alert is an SLA exception of that period.
    package func breachedSLA(in period: DateInterval) -> Bool { !timeline.breaches(deadline: slaDeadline, in: period).isEmpty }

    /// Its state at `moment` (nil: not yet opened).
    package func state(at moment: Date) -> AlertState? { timeline.state(at: moment) }

    /// Open at `moment`: opened by then and not ended by then.
    package func isOpen(at moment: Date) -> Bool { timeline.isOpen(at: moment) }
}
