import Chat
import Core
import Foundation
import Testing

// MARK: - The table's vocabulary

/// One name per `AlertAction` case, so the table can list actions as data and prove it covers them all.
enum ActionKind: String, CaseIterable, Sendable {
    case acknowledge, snooze, escalate, close, acceptRisk, resolve, updateFindings, ackTimeout, slaBreach, wake

    /// Exhaustive on purpose, without `default`: a new `AlertAction` case stops this file compiling until the
    /// table has a row for it in every state.
    init(_ action: AlertAction) {
        switch action {
        case .acknowledge: self = .acknowledge
        case .snooze: self = .snooze
        case .escalate: self = .escalate
        case .close: self = .close
        case .acceptRisk: self = .acceptRisk
        case .resolve: self = .resolve
        case .updateFindings: self = .updateFindings
        case .ackTimeout: self = .ackTimeout
        case .slaBreach: self = .slaBreach
        case .wake: self = .wake
        }
    }

    /// A valid instance of the action requested at `now`: windows within policy, rationale and remediation given.
    func sample(at now: Date) -> AlertAction {
        switch self {
        case .acknowledge: .acknowledge
        case .snooze: .snooze(until: now.addingTimeInterval(2 * Fixture.day), rationale: "waiting for the vendor's fix")
        case .escalate: .escalate(note: "customer data at risk")
        case .close: .close(remediation: "disabled the account", link: "https://tickets.example/OPS-12")
        case .acceptRisk: .acceptRisk(until: now.addingTimeInterval(30 * Fixture.day), rationale: "legacy system")
        case .resolve: .resolve
        case .updateFindings: .updateFindings([
                Finding(resource: Fixture.resource("github:jsmith", "j.smith"), observed: "active", failingSince: Fixture.t0),
                Finding(resource: Fixture.resource("github:jdoe", "j.doe"), observed: "active", failingSince: now),
            ], observed: "2 failing")
        case .ackTimeout: .ackTimeout
        case .slaBreach: .slaBreach
        case .wake: .wake
        }
    }

    /// People click buttons; the bot's own actions come from a part of the bot.
    var actor: Actor { sample(at: Fixture.t0).isHuman ? Fixture.dana : Fixture.escalator }
}

/// An `AlertEffect` without its free text, so the table can state effects exactly.
enum EffectShape: Equatable, Sendable, CustomStringConvertible {
    case post
    case update(broadcast: Bool)
    case notify(level: Int)

    init(_ effect: AlertEffect) {
        switch effect {
        case .postAlert: self = .post
        case .updateAlert(_, let broadcast): self = .update(broadcast: broadcast)
        case .notifyEscalation(let level): self = .notify(level: level)
        }
    }

    var description: String {
        switch self {
        case .post: "post"
        case .update(let broadcast): broadcast ? "update+broadcast" : "update"
        case .notify(let level): "notify L\(level)"
        }
    }
}

/// What a row expects: a new state (with escalation level and effects; the version always goes up by one),
/// nothing at all, or one exact refusal.
enum ExpectedOutcome: Sendable, CustomStringConvertible {
    case becomes(AlertState, level: Int, effects: [EffectShape])
    case unchanged
    case refused(AlertRefusal)

    /// A quiet change: the message is edited and one line is added to its thread.
    static func to(_ state: AlertState, level: Int = 0) -> Self {
        .becomes(state, level: level, effects: [.update(broadcast: false)])
    }
    /// Up one level: the thread line plus a notification of the people at that level.
    static func escalates(to level: Int) -> Self {
        .becomes(.escalated, level: level, effects: [.update(broadcast: false), .notify(level: level)])
    }
    /// A snooze or acceptance expired: the alert is live again and the channel is told.
    static func refires(to state: AlertState, level: Int = 0) -> Self {
        .becomes(state, level: level, effects: [.update(broadcast: true)])
    }
    static func ended(_ state: AlertState) -> Self { .refused(.alertEnded(Fixture.alertID, state)) }
    static func notAllowed(_ action: String, _ state: AlertState) -> Self { .refused(.notAllowed(action: action, state: state)) }

    var description: String {
        switch self {
        case .becomes(let state, let level, let effects):
            "\(state.rawValue) L\(level) [\(effects.map(\.description).joined(separator: ", "))]"
        case .unchanged: "unchanged"
        case .refused(let refusal): "refused: \(refusal)"
        }
    }
}

/// One row: an alert in `state` (as built by `Fixture.alert(in:)`, escalated ones at level 1) receives a valid
/// `action` carrying the current version, one hour after opening (after every snooze and acceptance ended).
struct LifecycleCase: Sendable, CustomTestStringConvertible {
    var state: AlertState
    var action: ActionKind
    var expected: ExpectedOutcome

    init(_ state: AlertState, _ action: ActionKind, _ expected: ExpectedOutcome) {
        self.state = state; self.action = action; self.expected = expected
    }

    var testDescription: String { "\(action.rawValue) on \(state.rawValue) → \(expected)" }
}

// MARK: - The table

/// Every (state × action) pair, with the standard policy (levels 0…2).
let lifecycleTable: [LifecycleCase] = [
    .init(.open, .acknowledge, .to(.acknowledged)),
    .init(.open, .snooze, .to(.snoozed)),
    .init(.open, .escalate, .escalates(to: 1)),
    .init(.open, .close, .to(.closed)),
    .init(.open, .acceptRisk, .to(.riskAccepted)),
    .init(.open, .resolve, .to(.resolved)),
    .init(.open, .updateFindings, .to(.open)),
    .init(.open, .ackTimeout, .escalates(to: 1)),
    .init(.open, .slaBreach, .escalates(to: 1)),
    .init(.open, .wake, .unchanged),

    .init(.acknowledged, .acknowledge, .unchanged),
    .init(.acknowledged, .snooze, .to(.snoozed)),
    .init(.acknowledged, .escalate, .escalates(to: 1)),
    .init(.acknowledged, .close, .to(.closed)),
    .init(.acknowledged, .acceptRisk, .to(.riskAccepted)),
    .init(.acknowledged, .resolve, .to(.resolved)),
    .init(.acknowledged, .updateFindings, .to(.acknowledged)),
    .init(.acknowledged, .ackTimeout, .unchanged),
    .init(.acknowledged, .slaBreach, .escalates(to: 1)),
    .init(.acknowledged, .wake, .unchanged),

    .init(.snoozed, .acknowledge, .to(.acknowledged)),
    .init(.snoozed, .snooze, .to(.snoozed)),
    .init(.snoozed, .escalate, .escalates(to: 1)),
    .init(.snoozed, .close, .to(.closed)),
    .init(.snoozed, .acceptRisk, .to(.riskAccepted)),
    .init(.snoozed, .resolve, .to(.resolved)),
    .init(.snoozed, .updateFindings, .to(.snoozed)),
    .init(.snoozed, .ackTimeout, .unchanged),
    .init(.snoozed, .slaBreach, .unchanged),
    .init(.snoozed, .wake, .refires(to: .open)),

    .init(.escalated, .acknowledge, .to(.acknowledged, level: 1)),
    .init(.escalated, .snooze, .to(.snoozed, level: 1)),
    .init(.escalated, .escalate, .escalates(to: 2)),
    .init(.escalated, .close, .to(.closed, level: 1)),
    .init(.escalated, .acceptRisk, .to(.riskAccepted, level: 1)),
    .init(.escalated, .resolve, .to(.resolved, level: 1)),
    .init(.escalated, .updateFindings, .to(.escalated, level: 1)),
    .init(.escalated, .ackTimeout, .unchanged),
    .init(.escalated, .slaBreach, .escalates(to: 2)),
    .init(.escalated, .wake, .unchanged),

    .init(.closed, .acknowledge, .ended(.closed)),
    .init(.closed, .snooze, .ended(.closed)),
    .init(.closed, .escalate, .ended(.closed)),
    .init(.closed, .close, .unchanged),
    .init(.closed, .acceptRisk, .ended(.closed)),
    .init(.closed, .resolve, .unchanged),
    .init(.closed, .updateFindings, .unchanged),
    .init(.closed, .ackTimeout, .unchanged),
    .init(.closed, .slaBreach, .unchanged),
    .init(.closed, .wake, .unchanged),

    .init(.riskAccepted, .acknowledge, .notAllowed("acknowledge", .riskAccepted)),
    .init(.riskAccepted, .snooze, .notAllowed("snooze", .riskAccepted)),
    .init(.riskAccepted, .escalate, .notAllowed("escalate", .riskAccepted)),
    .init(.riskAccepted, .close, .to(.closed)),
    .init(.riskAccepted, .acceptRisk, .to(.riskAccepted)),
    .init(.riskAccepted, .resolve, .to(.resolved)),
    .init(.riskAccepted, .updateFindings, .to(.riskAccepted)),
    .init(.riskAccepted, .ackTimeout, .unchanged),
    .init(.riskAccepted, .slaBreach, .unchanged),
    .init(.riskAccepted, .wake, .refires(to: .open)),

    .init(.resolved, .acknowledge, .ended(.resolved)),
    .init(.resolved, .snooze, .ended(.resolved)),
    .init(.resolved, .escalate, .ended(.resolved)),
    .init(.resolved, .close, .ended(.resolved)),
    .init(.resolved, .acceptRisk, .ended(.resolved)),
    .init(.resolved, .resolve, .unchanged),
    .init(.resolved, .updateFindings, .unchanged),
    .init(.resolved, .ackTimeout, .unchanged),
    .init(.resolved, .slaBreach, .unchanged),
    .init(.resolved, .wake, .unchanged),
]

extension TransitionOutcome {
    var changed: (alert: Alert, transition: AlertTransition, effects: [AlertEffect])? {
        if case .changed(let alert, let transition, let effects) = self { (alert, transition, effects) } else { nil }
    }
    var isUnchanged: Bool { if case .unchanged = self { true } else { false } }
    /// The thread line of a change.
    var line: String? {
        changed?.effects.lazy.compactMap { if case .updateAlert(let line, _) = $0 { line } else { nil } }.first
    }
}

@Suite("Alert lifecycle")
struct AlertLifecycleTests {
    let lifecycle = AlertLifecycle(policy: .standard)
    /// One hour after opening: every snooze and acceptance in `Fixture.alert(in:)` has ended.
    let now = Fixture.at(Fixture.hour)

    func apply(_ action: AlertAction, to alert: Alert, by actor: Actor = Fixture.dana, via surface: Surface = .chat(.slack),
               at time: Date? = nil, seen: Int? = nil) throws(AlertRefusal) -> TransitionOutcome {
        try lifecycle.apply(AlertRequest(action, by: actor, via: surface, at: time ?? now, expectedVersion: seen), to: alert)
    }

    // MARK: Every state × every action

    @Test func tableCoversEveryStateAndActionExactlyOnce() {
        let rows = lifecycleTable.map { "\($0.state.rawValue) × \($0.action.rawValue)" }
        let every = AlertState.allCases.flatMap { state in ActionKind.allCases.map { "\(state.rawValue) × \($0.rawValue)" } }
        #expect(rows.count == Set(rows).count, "a pair is listed twice")
        #expect(Set(every).subtracting(rows).sorted() == [], "pairs missing from the table")
        #expect(rows.count == AlertState.allCases.count * ActionKind.allCases.count)
    }

    @Test(arguments: ActionKind.allCases)
    func eachActionKindNamesItsOwnAlertAction(_ kind: ActionKind) {
        #expect(ActionKind(kind.sample(at: Fixture.t0)) == kind)
    }

    @Test(arguments: lifecycleTable)
    func everyStateAndAction(_ row: LifecycleCase) throws {
        let alert = Fixture.alert(in: row.state)
        let action = row.action.sample(at: now)
        let request = AlertRequest(action, by: row.action.actor, via: .chat(.slack), at: now, expectedVersion: alert.version)

        switch row.expected {
        case .refused(let refusal):
            #expect(throws: refusal) { try lifecycle.apply(request, to: alert) }
        case .unchanged:
            let outcome = try lifecycle.apply(request, to: alert)
            #expect(outcome.isUnchanged, "got \(outcome)")
        case .becomes(let state, let level, let effects):
            let (next, transition, actual) = try #require(try lifecycle.apply(request, to: alert).changed)
            #expect(next.state == state)
            #expect(next.escalationLevel == level)
            #expect(next.version == alert.version + 1)
            #expect(actual.map(EffectShape.init) == effects)
            #expect(transition.from == row.state)
            #expect(transition.to == state)
            #expect(transition.version == next.version)
            #expect(transition.action == action.name)
            #expect(transition.actor == row.action.actor)
            #expect(transition.at == now)
            #expect(next.lastTransition == transition)
            #expect(next.endedAt == (state.isEnded ? now : nil))
        }
    }

    // MARK: Rationale, remediation and windows

    @Test(arguments: ["", "   ", "\n\t "])
    func snoozeWithoutRationaleIsRefused(_ rationale: String) {
        #expect(throws: AlertRefusal.rationaleRequired(action: "snooze")) {
            try apply(.snooze(until: now.addingTimeInterval(Fixture.hour), rationale: rationale), to: Fixture.alert(in: .open))
        }
    }

    @Test(arguments: ["", "   "])
    func acceptingRiskWithoutRationaleIsRefused(_ rationale: String) {
        #expect(throws: AlertRefusal.rationaleRequired(action: "accept")) {
            try apply(.acceptRisk(until: now.addingTimeInterval(Fixture.day), rationale: rationale), to: Fixture.alert(in: .open))
        }
    }

    @Test func snoozeBeyondTheMaximumIsRefusedAndTheMaximumItselfIsAllowed() throws {
        let max = EscalationPolicy.standard.maxSnooze
        #expect(throws: AlertRefusal.durationTooLong(action: "snooze", max: max)) {
            try apply(.snooze(until: now.addingTimeInterval(max + Fixture.minute), rationale: "vendor"), to: Fixture.alert(in: .open))
        }
        let outcome = try apply(.snooze(until: now.addingTimeInterval(max), rationale: "vendor"), to: Fixture.alert(in: .open))
        #expect(outcome.changed?.alert.snoozedUntil == now.addingTimeInterval(max))
    }

    @Test func riskAcceptanceBeyondTheMaximumIsRefusedAndTheMaximumItselfIsAllowed() throws {
        let max = EscalationPolicy.standard.maxRiskAcceptance
        #expect(throws: AlertRefusal.durationTooLong(action: "accept", max: max)) {
            try apply(.acceptRisk(until: now.addingTimeInterval(max + Fixture.day), rationale: "legacy"), to: Fixture.alert(in: .open))
        }
        let outcome = try apply(.acceptRisk(until: now.addingTimeInterval(max), rationale: "legacy"), to: Fixture.alert(in: .open))
        #expect(outcome.changed?.alert.riskAcceptedUntil == now.addingTimeInterval(max))
    }

    @Test(arguments: [0, -1, -Fixture.day])
    func nonPositiveDurationIsRefused(_ offset: TimeInterval) {
        let until = now.addingTimeInterval(offset)
        #expect(throws: AlertRefusal.durationNotInFuture) {
            try apply(.snooze(until: until, rationale: "vendor"), to: Fixture.alert(in: .open))
        }
        #expect(throws: AlertRefusal.durationNotInFuture) {
            try apply(.acceptRisk(until: until, rationale: "legacy"), to: Fixture.alert(in: .open))
        }
    }

    @Test(arguments: ["", "  \n"])
    func closeWithoutRemediationIsRefused(_ remediation: String) {
        #expect(throws: AlertRefusal.remediationRequired) {
            try apply(.close(remediation: remediation, link: "https://tickets.example/OPS-12"), to: Fixture.alert(in: .acknowledged))
        }
    }

    // MARK: Compare-and-set

    /// dana acknowledged the alert at version 1, so it is now at version 2.
    func acknowledgedByDana() throws -> Alert {
        try #require(try apply(.acknowledge, to: Fixture.openAlert(), seen: 1).changed).alert
    }

    @Test func staleVersionFromAnotherPersonIsRefused() throws {
        let alert = try acknowledgedByDana()
        #expect(throws: AlertRefusal.staleVersion(Fixture.alertID, seen: 1, current: 2, state: .acknowledged)) {
            try apply(.acknowledge, to: alert, by: Fixture.sam, seen: 1)
        }
    }

    @Test func staleVersionForAnotherActionIsRefused() throws {
        let alert = try acknowledgedByDana()
        #expect(throws: AlertRefusal.staleVersion(Fixture.alertID, seen: 1, current: 2, state: .acknowledged)) {
            try apply(.escalate(note: nil), to: alert, by: Fixture.dana, seen: 1)
        }
    }

    @Test func versionNewerThanTheAlertIsRefused() throws {
        let alert = try acknowledgedByDana()
        #expect(throws: AlertRefusal.staleVersion(Fixture.alertID, seen: 3, current: 2, state: .acknowledged)) {
            try apply(.acknowledge, to: alert, by: Fixture.dana, seen: 3)
        }
    }

    @Test func repeatedClickBySamePersonIsUnchangedNotAnError() throws {
        // Given dana snoozed at version 1
        let snooze = AlertAction.snooze(until: now.addingTimeInterval(Fixture.day), rationale: "vendor")
        let snoozed = try #require(try apply(snooze, to: Fixture.openAlert(), seen: 1).changed).alert
        // When her second click, still carrying version 1, arrives (even with a different window)
        let again = try apply(.snooze(until: now.addingTimeInterval(2 * Fixture.day), rationale: "vendor"), to: snoozed, seen: 1)
        // Then nothing changes
        #expect(again.isUnchanged)
        #expect(snoozed.snoozedUntil == now.addingTimeInterval(Fixture.day))
    }

    @Test func typedCommandWithoutVersionActsOnTheCurrentAlert() throws {
        let outcome = try apply(.escalate(note: nil), to: Fixture.alert(in: .acknowledged), seen: nil)
        #expect(outcome.changed?.alert.escalationLevel == 1)
    }

    // MARK: Ended alerts

    static let humanActions = ActionKind.allCases.filter { $0.sample(at: Fixture.t0).isHuman }

    /// A button on an ended alert's message always carries an older version (ending bumped it), so the refusal
    /// must say the alert ended, not invite a retry that cannot succeed.
    @Test(arguments: [AlertState.closed, .resolved], humanActions)
    func peopleActingOnAnEndedAlertAreToldItEnded(_ state: AlertState, _ kind: ActionKind) throws {
        if state == .closed && kind == .close { return }  // repeating a close: see below
        let alert = Fixture.alert(in: state)
        for seen in [nil, alert.version - 1, alert.version] {
            #expect(throws: AlertRefusal.alertEnded(Fixture.alertID, state), "seen \(String(describing: seen))") {
                try apply(kind.sample(at: now), to: alert, by: Fixture.sam, seen: seen)
            }
        }
    }

    @Test func repeatingCloseOnAClosedAlertIsUnchanged() throws {
        let closed = Fixture.alert(in: .closed)
        let close = AlertAction.close(remediation: "revoked the token", link: nil)
        #expect(try apply(close, to: closed, by: Fixture.sam, seen: nil).isUnchanged)
        #expect(try apply(close, to: closed, by: Fixture.sam, seen: closed.version - 1).isUnchanged)
        // The same person's double click on the Close button, too.
        let first = try #require(try apply(close, to: Fixture.alert(in: .acknowledged), seen: 5).changed).alert
        #expect(try apply(close, to: first, seen: 5).isUnchanged)
    }

    // MARK: Escalation and timers

    @Test func escalatingAtTheTopLevelIsRefused() throws {
        var alert = Fixture.alert(in: .escalated)
        alert.escalationLevel = EscalationPolicy.standard.topLevel
        #expect(throws: AlertRefusal.alreadyAtTopLevel(Fixture.alertID, level: 2)) {
            try apply(.escalate(note: nil), to: alert)
        }
        let channelOnly = AlertLifecycle(policy: EscalationPolicy(
            ackTimeout: [:], sla: [:], maxSnooze: Fixture.day, maxRiskAcceptance: Fixture.day, levels: [.teamChannel]))
        #expect(throws: AlertRefusal.alreadyAtTopLevel(Fixture.alertID, level: 0)) {
            try channelOnly.apply(AlertRequest(.escalate(note: nil), by: Fixture.dana, via: .chat(.slack), at: now), to: Fixture.alert(in: .open))
        }
    }

    @Test(arguments: [AlertState.snoozed, .riskAccepted])
    func wakeOnlyOnceTheWindowHasPassed(_ state: AlertState) throws {
        let alert = Fixture.alert(in: state)
        #expect(try apply(.wake, to: alert, by: Fixture.escalator, at: Fixture.windowEnd.addingTimeInterval(-1)).isUnchanged)
        let (woken, _, effects) = try #require(try apply(.wake, to: alert, by: Fixture.escalator, at: Fixture.windowEnd).changed)
        #expect(woken.state == .open)
        #expect(woken.awakeSince == Fixture.windowEnd)
        #expect(woken.snoozedUntil == nil && woken.riskAcceptedUntil == nil)
        #expect(effects.map(EffectShape.init) == [.update(broadcast: true)])
    }

    @Test func wakeReturnsAnEscalatedAlertToItsLevelAndForgetsWhoAcknowledged() throws {
        var alert = Fixture.alert(in: .snoozed)
        alert.escalationLevel = 1
        alert.acknowledgedBy = "dana"
        let woken = try #require(try apply(.wake, to: alert, by: Fixture.escalator).changed).alert
        #expect(woken.state == .escalated)
        #expect(woken.escalationLevel == 1)
        #expect(woken.acknowledgedBy == nil)
    }

    @Test func slaBreachHappensOnce() throws {
        let (breached, _, effects) = try #require(try apply(.slaBreach, to: Fixture.alert(in: .acknowledged), by: Fixture.escalator).changed)
        #expect(breached.slaBreachedAt == now)
        #expect(effects.map(EffectShape.init) == [.update(broadcast: false), .notify(level: 1)])
        let later = now.addingTimeInterval(Fixture.day)
        #expect(try apply(.slaBreach, to: breached, by: Fixture.escalator, at: later).isUnchanged)
    }

    @Test func slaBreachAtTheTopLevelIsRecordedWithoutNotifyingAnyone() throws {
        var alert = Fixture.alert(in: .escalated)
        alert.escalationLevel = 2
        let (breached, _, effects) = try #require(try apply(.slaBreach, to: alert, by: Fixture.escalator).changed)
        #expect(breached.slaBreachedAt == now)
        #expect(breached.escalationLevel == 2)
        #expect(effects.map(EffectShape.init) == [.update(broadcast: false)])
    }

    @Test func ackTimeoutOnlyEscalatesAnOpenAlertAtLevelZero() throws {
        let escalated = try #require(try apply(.ackTimeout, to: Fixture.alert(in: .open), by: Fixture.escalator).changed).alert
        #expect(escalated.state == .escalated && escalated.escalationLevel == 1)
        #expect(try apply(.ackTimeout, to: escalated, by: Fixture.escalator).isUnchanged)

        var openAtLevelOne = Fixture.alert(in: .open)
        openAtLevelOne.escalationLevel = 1
        #expect(try apply(.ackTimeout, to: openAtLevelOne, by: Fixture.escalator).isUnchanged)

        let channelOnly = AlertLifecycle(policy: EscalationPolicy(
            ackTimeout: [:], sla: [:], maxSnooze: Fixture.day, maxRiskAcceptance: Fixture.day, levels: [.teamChannel]))
        let outcome = try channelOnly.apply(AlertRequest(.ackTimeout, by: Fixture.escalator, via: .system, at: now), to: Fixture.alert(in: .open))
        #expect(outcome.isUnchanged)
    }

    @Test func unchangedFindingsAreNotAChange() throws {
        let alert = Fixture.alert(in: .open)
        #expect(try apply(.updateFindings(alert.findings, observed: alert.observed), to: alert, by: Fixture.scheduler).isUnchanged)
        let reworded = try apply(.updateFindings(alert.findings, observed: "still active (admin)"), to: alert, by: Fixture.scheduler)
        #expect(reworded.changed?.alert.observed == "still active (admin)")
    }

    // MARK: What is recorded

    @Test func transitionRecordsWhoWhatWhenWhereAndWhy() throws {
        let until = now.addingTimeInterval(Fixture.day)
        let (next, transition, _) = try #require(
            try apply(.snooze(until: until, rationale: "waiting for the vendor's fix"), to: Fixture.alert(in: .acknowledged),
                      by: Fixture.sam, via: .chat(.matrix), seen: 5).changed)
        #expect(transition.alert == Fixture.alertID)
        #expect(transition.actor == Fixture.sam)
        #expect(transition.surface == .chat(.matrix))
        #expect(transition.at == now)
        #expect(transition.action == "snooze")
        #expect(transition.from == .acknowledged)
        #expect(transition.to == .snoozed)
        #expect(transition.reason == "waiting for the vendor's fix")
        #expect(transition.version == 6)
        #expect(next.snoozedUntil == until)
        #expect(next.rationale == "waiting for the vendor's fix")
        #expect(next.lastTransition == transition)
    }

    @Test func acknowledgementRecordsThePersonButNotTheBot() throws {
        let byDana = try #require(try apply(.acknowledge, to: Fixture.alert(in: .open)).changed).alert
        #expect(byDana.acknowledgedBy == "dana")
        let byBot = try #require(try apply(.acknowledge, to: Fixture.alert(in: .open), by: .system("scenario"), via: .scenario).changed)
        #expect(byBot.alert.acknowledgedBy == nil)
        #expect(byBot.transition.actor == .system("scenario"))
    }

    @Test func closeRecordsTheRemediationAndLink() throws {
        let (closed, transition, _) = try #require(
            try apply(.close(remediation: "disabled the account", link: "https://tickets.example/OPS-12"), to: Fixture.alert(in: .escalated)).changed)
        #expect(closed.remediationNote == "disabled the account")
        #expect(closed.remediationLink == "https://tickets.example/OPS-12")
        #expect(closed.endedAt == now)
        #expect(transition.reason == "disabled the account")
    }

    struct LineCase: Sendable, CustomTestStringConvertible {
        var state: AlertState
        var action: AlertAction
        var actor: Actor
        var line: String
        var testDescription: String { "\(action.name) on \(state.rawValue): \(line)" }
    }

    /// `now` is 2026-02-25 07:13:20 UTC; the SLA deadline of a critical alert opened at t0 is 10:13:20.
    static let lines: [LineCase] = {
        let now = Fixture.at(Fixture.hour)
        let jsmith = Finding(resource: Fixture.resource("github:jsmith", "j.smith"), observed: "active", failingSince: Fixture.t0)
        let jdoe = Finding(resource: Fixture.resource("github:jdoe", "j.doe"), observed: "active", failingSince: now)
        return [
            .init(state: .open, action: .acknowledge, actor: Fixture.dana, line: "dana acknowledged"),
            .init(state: .snoozed, action: .acknowledge, actor: Fixture.dana, line: "dana acknowledged (snooze ended early)"),
            .init(state: .open, action: .acknowledge, actor: .system("scenario"), line: "soc2bot/scenario acknowledged"),
            .init(state: .open, action: .snooze(until: now.addingTimeInterval(2 * Fixture.day), rationale: "waiting for the vendor's fix"),
                  actor: Fixture.dana, line: "dana snoozed until 2026-02-27 07:13 UTC — waiting for the vendor's fix"),
            .init(state: .open, action: .escalate(note: "customer data at risk"), actor: Fixture.sam,
                  line: "sam escalated to level 1 — customer data at risk"),
            .init(state: .escalated, action: .escalate(note: nil), actor: Fixture.sam, line: "sam escalated to level 2"),
            .init(state: .open, action: .close(remediation: "disabled the account", link: "https://tickets.example/OPS-12"),
                  actor: Fixture.dana, line: "dana closed — disabled the account (https://tickets.example/OPS-12)"),
            .init(state: .open, action: .close(remediation: "disabled the account", link: nil), actor: Fixture.dana,
                  line: "dana closed — disabled the account"),
            .init(state: .open, action: .acceptRisk(until: now.addingTimeInterval(30 * Fixture.day), rationale: "legacy system"),
                  actor: Fixture.sam, line: "sam accepted the risk until 2026-03-27 07:13 UTC — legacy system"),
            .init(state: .open, action: .resolve, actor: Fixture.scheduler, line: "resolved: the control passes again"),
            .init(state: .open, action: .ackTimeout, actor: Fixture.escalator,
                  line: "not acknowledged within the critical timeout: escalated to level 1"),
            .init(state: .open, action: .slaBreach, actor: Fixture.escalator,
                  line: "remediation SLA breached (deadline 2026-02-25 10:13 UTC): escalated to level 1"),
            .init(state: .snoozed, action: .wake, actor: Fixture.escalator, line: "snooze expired: the control still fails"),
            .init(state: .riskAccepted, action: .wake, actor: Fixture.escalator, line: "risk acceptance expired: the control still fails"),
            .init(state: .open, action: .updateFindings([jsmith, jdoe], observed: "2 failing"), actor: Fixture.scheduler,
                  line: "now 2 failing; + j.doe"),
            .init(state: .open, action: .updateFindings([jdoe], observed: "1 failing"), actor: Fixture.scheduler,
                  line: "now 1 failing; + j.doe; − j.smith"),
            .init(state: .open, action: .updateFindings([jsmith], observed: "active (admin)"), actor: Fixture.scheduler,
                  line: "now 1 failing; active (admin)"),
        ]
    }()

    @Test(arguments: lines)
    func threadLineSaysWhoWhatAndWhy(_ row: LineCase) throws {
        let outcome = try apply(row.action, to: Fixture.alert(in: row.state), by: row.actor)
        #expect(outcome.line == row.line)
    }

    @Test func refusalsSayWhatToDo() {
        #expect(AlertRefusal.durationTooLong(action: "snooze", max: 14 * Fixture.day).description
            == "snooze may last at most 14d (escalation policy); choose a shorter duration.")
        #expect(AlertRefusal.alertEnded(Fixture.alertID, .riskAccepted).description.hasPrefix("A-7 is risk accepted;"))
        #expect(AlertRefusal.staleVersion(Fixture.alertID, seen: 1, current: 2, state: .acknowledged).description
            == "A-7 changed since you looked (version 1, now 2, acknowledged); look again and retry.")
    }

    // MARK: One whole episode

    @Test func oneEpisodeFromOpeningToClosing() throws {
        var alert = Fixture.openAlert()
        func step(_ action: AlertAction, by actor: Actor, at time: Date) throws -> [EffectShape] {
            let (next, _, effects) = try #require(try apply(action, to: alert, by: actor, at: time, seen: alert.version).changed)
            alert = next
            return effects.map(EffectShape.init)
        }
        // Given an open critical alert (version 1)
        #expect(try step(.acknowledge, by: Fixture.dana, at: Fixture.at(10 * Fixture.minute)) == [.update(broadcast: false)])
        let until = Fixture.at(2 * Fixture.hour)
        #expect(try step(.snooze(until: until, rationale: "vendor"), by: Fixture.dana, at: Fixture.at(20 * Fixture.minute)) == [.update(broadcast: false)])
        // When the snooze ends nobody acknowledges in time
        #expect(try step(.wake, by: Fixture.escalator, at: until) == [.update(broadcast: true)])
        #expect(alert.state == .open && alert.awakeSince == until)
        #expect(try step(.ackTimeout, by: Fixture.escalator, at: until.addingTimeInterval(30 * Fixture.minute)) == [.update(broadcast: false), .notify(level: 1)])
        #expect(try step(.escalate(note: "still open"), by: Fixture.sam, at: Fixture.at(3 * Fixture.hour)) == [.update(broadcast: false), .notify(level: 2)])
        // Then it is closed with its remediation, at version 7
        #expect(try step(.close(remediation: "disabled the account", link: nil), by: Fixture.dana, at: Fixture.at(4 * Fixture.hour)) == [.update(broadcast: false)])
        #expect(alert.state == .closed)
        #expect(alert.version == 7)
        #expect(alert.escalationLevel == 2)
    }
}
