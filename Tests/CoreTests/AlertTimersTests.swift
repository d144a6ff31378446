import Core
import Foundation
import Testing

@Suite("Alert timers")
struct AlertTimersTests {
    let policy = EscalationPolicy.standard

    /// The next timer as (seconds after t0, action kind), so expectations read as plain numbers.
    func next(_ alert: Alert, policy: EscalationPolicy = .standard) -> (offset: TimeInterval, kind: ActionKind)? {
        AlertTimers.next(for: alert, policy: policy).map { ($0.at.timeIntervalSince(Fixture.t0), ActionKind($0.action)) }
    }

    @Test func openAlertWaitsForTheAcknowledgementTimeoutFirst() throws {
        // Critical: 30 min to acknowledge, 4 h SLA.
        let timer = try #require(next(Fixture.alert(in: .open)))
        #expect(timer.offset == 30 * Fixture.minute)
        #expect(timer.kind == .ackTimeout)
    }

    @Test func slaEarlierThanTheAcknowledgementTimeoutComesFirst() throws {
        var alert = Fixture.alert(in: .open)
        alert.slaDeadline = Fixture.at(10 * Fixture.minute)  // e.g. a control's short SLA override
        let timer = try #require(next(alert))
        #expect(timer.offset == 10 * Fixture.minute)
        #expect(timer.kind == .slaBreach)
    }

    @Test(arguments: Severity.allCases)
    func acknowledgementTimeoutFollowsSeverity(_ severity: Severity) throws {
        var alert = Fixture.openAlert(severity: severity)
        alert.slaDeadline = .distantFuture
        let timer = try #require(next(alert))
        #expect(timer.offset == policy.ackTimeout(for: severity))
        #expect(timer.kind == .ackTimeout)
    }

    @Test func policyWithoutASeverityUsesTheStandardTimes() {
        let partial = EscalationPolicy(ackTimeout: [.critical: 5 * Fixture.minute], sla: [:], maxSnooze: Fixture.day,
                                       maxRiskAcceptance: Fixture.day, levels: [.teamChannel, .teamManager])
        #expect(partial.ackTimeout(for: .critical) == 5 * Fixture.minute)
        #expect(partial.ackTimeout(for: .low) == 72 * Fixture.hour)
        #expect(partial.sla(for: .medium) == 7 * Fixture.day)
        #expect(next(Fixture.alert(in: .open), policy: partial)?.offset == 5 * Fixture.minute)
    }

    @Test func acknowledgementTimeoutCountsFromTheLastWake() throws {
        var alert = Fixture.alert(in: .open)
        alert.awakeSince = Fixture.at(2 * Fixture.hour)
        alert.slaDeadline = .distantFuture
        let timer = try #require(next(alert))
        #expect(timer.offset == 2 * Fixture.hour + 30 * Fixture.minute)
    }

    @Test(arguments: [AlertState.acknowledged, .escalated])
    func acknowledgedAndEscalatedAlertsWaitOnlyForTheSLA(_ state: AlertState) throws {
        let timer = try #require(next(Fixture.alert(in: state)))
        #expect(timer.offset == 4 * Fixture.hour)
        #expect(timer.kind == .slaBreach)
    }

    @Test(arguments: [AlertState.open, .acknowledged, .escalated])
    func aBreachedSLAIsNotTimedAgain(_ state: AlertState) {
        var alert = Fixture.alert(in: state)
        alert.slaBreachedAt = alert.slaDeadline
        if state == .open {
            #expect(next(alert)?.kind == .ackTimeout)
        } else {
            #expect(next(alert) == nil)
        }
    }

    @Test func openAlertWithNowhereToEscalateWaitsOnlyForTheSLA() throws {
        let channelOnly = EscalationPolicy(ackTimeout: [:], sla: [:], maxSnooze: Fixture.day, maxRiskAcceptance: Fixture.day,
                                           levels: [.teamChannel])
        let timer = try #require(next(Fixture.alert(in: .open), policy: channelOnly))
        #expect(timer.kind == .slaBreach)
    }

    @Test(arguments: [AlertState.snoozed, .riskAccepted])
    func snoozedAndAcceptedAlertsWakeWhenTheirWindowEndsEvenPastTheSLA(_ state: AlertState) throws {
        var alert = Fixture.alert(in: state)
        alert.slaDeadline = Fixture.at(Fixture.minute)  // before the window ends
        let timer = try #require(next(alert))
        #expect(timer.offset == Fixture.windowEnd.timeIntervalSince(Fixture.t0))
        #expect(timer.kind == .wake)
    }

    @Test(arguments: [AlertState.closed, .resolved])
    func endedAlertsHaveNoTimers(_ state: AlertState) {
        let alert = Fixture.alert(in: state)
        #expect(next(alert) == nil)
        #expect(AlertTimers.due(for: alert, at: .distantFuture, policy: policy) == nil)
    }

    @Test func dueOnlyOnceTheTimeHasCome() {
        let alert = Fixture.alert(in: .open)
        let deadline = Fixture.at(30 * Fixture.minute)
        #expect(AlertTimers.due(for: alert, at: deadline.addingTimeInterval(-1), policy: policy) == nil)
        #expect(AlertTimers.due(for: alert, at: deadline, policy: policy) == .ackTimeout)
        #expect(AlertTimers.due(for: alert, at: deadline.addingTimeInterval(Fixture.hour), policy: policy) == .ackTimeout)
    }

    @Test func dueGivesTheEarliestWhenSeveralHavePassed() {
        // Both the ack timeout (30 min) and the SLA (4 h) have passed: the escalator handles the ack timeout first,
        // then asks again.
        let alert = Fixture.alert(in: .open)
        #expect(AlertTimers.due(for: alert, at: Fixture.at(5 * Fixture.hour), policy: policy) == .ackTimeout)
    }

    @Test(arguments: [AlertState.snoozed, .riskAccepted])
    func dueWakesAnExpiredWindow(_ state: AlertState) {
        let alert = Fixture.alert(in: state)
        #expect(AlertTimers.due(for: alert, at: Fixture.windowEnd.addingTimeInterval(-1), policy: policy) == nil)
        #expect(AlertTimers.due(for: alert, at: Fixture.windowEnd, policy: policy) == .wake)
    }

    @Test func aTimerThatFiresIsAcceptedByTheLifecycle() throws {
        // The timers and the lifecycle agree: what falls due changes the alert, and is then no longer due.
        let lifecycle = AlertLifecycle(policy: policy)
        var alert = Fixture.alert(in: .open)
        var time = Fixture.t0
        var fired: [ActionKind] = []
        while let timer = AlertTimers.next(for: alert, policy: policy), fired.count < 5 {
            time = timer.at
            let outcome = try lifecycle.apply(AlertRequest(timer.action, by: Fixture.escalator, via: .system, at: time), to: alert)
            alert = try #require(outcome.changed).alert
            fired.append(ActionKind(timer.action))
        }
        #expect(fired == [.ackTimeout, .slaBreach])
        #expect(alert.escalationLevel == 2)
        #expect(time == Fixture.at(4 * Fixture.hour))
    }
}
