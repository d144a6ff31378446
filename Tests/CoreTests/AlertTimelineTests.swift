import Chat
import Core
import Foundation
import Testing

/// Known answers for "as of then": an alert's history, played through the real lifecycle, read at moments and over
/// periods. Time under an accepted risk is not breach time; a breach shows in every period it spans.
@Suite("Alert timeline")
struct AlertTimelineTests {
    let lifecycle = AlertLifecycle(policy: .standard)
    let hour = Fixture.hour, day = Fixture.day

    /// A high alert opened at t0 whose SLA deadline is `sla` later.
    func opened(sla: TimeInterval) -> Alert {
        var alert = Fixture.openAlert(severity: .high)
        alert.slaDeadline = Fixture.t0 + sla
        return alert
    }

    func apply(_ action: AlertAction, at offset: TimeInterval, by actor: Actor = Fixture.dana, to alert: Alert) throws -> Alert {
        let outcome = try lifecycle.apply(AlertRequest(action, by: actor, via: .chat(.slack), at: Fixture.at(offset)), to: alert)
        guard case .changed(let next, _, _) = outcome else {
            Issue.record("\(action) at +\(offset) changed nothing")
            return alert
        }
        return next
    }

    func period(_ from: TimeInterval, _ to: TimeInterval) -> DateInterval { DateInterval(start: Fixture.at(from), end: Fixture.at(to)) }

    /// Accepted (until day 10) before its 24 h deadline, then closed on day 5 during the acceptance: no breach, in any
    /// view, ever — although it ended after the deadline.
    @Test func aRiskAcceptedBeforeTheDeadlineAndClosedDuringItIsNoBreach() throws {
        var alert = opened(sla: day)
        alert = try apply(.acceptRisk(until: Fixture.at(10 * day), rationale: "legacy host, retired next week"), at: 2 * hour, to: alert)
        alert = try apply(.close(remediation: "host retired", link: nil), at: 5 * day, to: alert)

        #expect(alert.timeline.breaches(deadline: alert.slaDeadline).isEmpty)
        #expect(!alert.breachedSLA(at: Fixture.at(30 * day)))
        #expect(!alert.facts.breachedSLA(in: period(0, 30 * day)))
        #expect(alert.timeline.acceptances == [period(2 * hour, 5 * day)])
    }

    /// Accepted before the deadline until day 3, the acceptance expires (wake) and the alert is closed on day 4: the
    /// breach is day 3 → day 4, starting at the expiry, not at the deadline.
    @Test func anAcceptanceThatExpiresAfterTheDeadlineStartsTheBreachAtExpiry() throws {
        var alert = opened(sla: day)
        alert = try apply(.acceptRisk(until: Fixture.at(3 * day), rationale: "vendor patch due"), at: hour, to: alert)
        alert = try apply(.wake, at: 3 * day + 60, by: Fixture.escalator, to: alert)
        alert = try apply(.close(remediation: "patched", link: "https://tickets.example/OPS-9"), at: 4 * day, to: alert)

        #expect(alert.timeline.breaches(deadline: alert.slaDeadline) == [period(3 * day, 4 * day)])
        #expect(!alert.breachedSLA(at: Fixture.at(2 * day)), "not in breach while accepted, past the deadline")
        #expect(alert.breachedSLA(at: Fixture.at(3 * day + hour)))
    }

    /// Accepted only after the deadline had passed: the breach runs from the deadline to the acceptance, pauses, and
    /// starts again when the acceptance ends.
    @Test func anAcceptanceAfterTheDeadlinePausesTheBreach() throws {
        var alert = opened(sla: day)
        alert = try apply(.acceptRisk(until: Fixture.at(5 * day), rationale: "compensating control in place"), at: 2 * day, to: alert)
        alert = try apply(.wake, at: 5 * day, by: Fixture.escalator, to: alert)
        alert = try apply(.resolve, at: 6 * day, by: Fixture.scheduler, to: alert)

        #expect(alert.timeline.breaches(deadline: alert.slaDeadline) == [period(day, 2 * day), period(5 * day, 6 * day)])
    }

    /// A breach from day 1 to day 50 shows in each of three 20-day periods, with the part that falls in each.
    @Test func aBreachSpanningThreePeriodsShowsInEachWithItsPart() throws {
        var alert = opened(sla: day)
        alert = try apply(.acknowledge, at: hour, to: alert)
        alert = try apply(.close(remediation: "report received", link: nil), at: 50 * day, to: alert)

        let parts = [period(0, 20 * day), period(20 * day, 40 * day), period(40 * day, 60 * day), period(60 * day, 80 * day)]
            .map { alert.timeline.breaches(deadline: alert.slaDeadline, in: $0) }
        #expect(parts == [[period(day, 20 * day)], [period(20 * day, 40 * day)], [period(40 * day, 50 * day)], []])
        #expect(parts.map { !$0.isEmpty } == [true, true, true, false])
    }

    /// Mid-incident, the alert is seen as it was: acknowledged, open, not yet ended, not yet breached.
    @Test func aMomentMidIncidentSeesTheStateOfThen() throws {
        var alert = opened(sla: day)
        alert = try apply(.acknowledge, at: hour, to: alert)
        alert = try apply(.snooze(until: Fixture.at(5 * hour), rationale: "waiting on vendor"), at: 2 * hour, to: alert)
        alert = try apply(.close(remediation: "disabled the account", link: nil), at: 30 * hour, to: alert)

        #expect(alert.timeline.state(at: Fixture.at(-1)) == nil)
        #expect(alert.timeline.state(at: Fixture.at(90 * 60)) == .acknowledged)
        #expect(alert.timeline.state(at: Fixture.at(3 * hour)) == .snoozed)
        #expect(alert.timeline.state(at: Fixture.at(30 * hour)) == .closed)
        let then = try #require(alert.asOf(Fixture.at(3 * hour)))
        #expect(then.state == .snoozed && then.endedAt == nil)
        #expect(alert.asOf(Fixture.at(-1)) == nil)
        #expect(alert.facts.isOpen(at: Fixture.at(3 * hour)) && !alert.facts.isOpen(at: Fixture.at(30 * hour)))
        #expect(!alert.breachedSLA(at: Fixture.at(3 * hour)), "the breach began hours later")
        #expect(alert.breachedSLA(at: Fixture.at(25 * hour)), "a snooze does not stop the SLA clock")
    }

    /// A step recorded with an earlier time than the last is placed at the last one's time: history never rewinds.
    @Test func historyNeverRewinds() {
        var timeline = AlertTimeline(openedAt: Fixture.t0)
        timeline.record(.init(at: Fixture.at(hour), state: .acknowledged))
        timeline.record(.init(at: Fixture.at(-hour), state: .closed))
        #expect(timeline.steps.map(\.at) == [Fixture.t0, Fixture.at(hour), Fixture.at(hour)])
        #expect(timeline.endedAt == Fixture.at(hour))
    }

    /// The store keeps timelines packed in a column: what goes in comes back, and bytes that are not a timeline are
    /// refused rather than misread.
    @Test func aPackedTimelineReadsBackAndGarbageIsRefused() throws {
        var alert = opened(sla: day)
        alert = try apply(.acceptRisk(until: Fixture.at(3 * day + 0.25), rationale: "vendor patch due"), at: hour + 0.5, to: alert)
        alert = try apply(.wake, at: 3 * day + 60, by: Fixture.escalator, to: alert)
        alert = try apply(.resolve, at: 4 * day, by: Fixture.scheduler, to: alert)
        let timeline = alert.timeline

        #expect(AlertTimeline(packed: timeline.packed) == timeline)
        #expect(timeline.steps.count == 4 && timeline.steps[1].until == Fixture.at(3 * day + 0.25))
        let packed = timeline.packed
        #expect(AlertTimeline(packed: packed.dropLast()) == nil)
        #expect(AlertTimeline(packed: Data()) == nil)
        #expect(AlertTimeline(packed: Data(repeating: 0xFF, count: 10)) == nil)
        var badState = packed
        badState[packed.startIndex + 8] = 200
        #expect(AlertTimeline(packed: badState) == nil)
    }
}
