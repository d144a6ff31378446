@testable import Chat
import Core
import Foundation
import Testing

@Suite("Alert messages")
struct AlertMessageTests {
    private func field(_ label: String, in message: ChatMessage) -> String? {
        message.fields.first { $0.label == label }?.value
    }

    @Test
    func alertShowsIdControlCriteriaExpectedObservedAndTimes() throws {
        let alert = ChatFixture.alert()
        let message = AlertMessage.render(alert, topLevel: ChatFixture.topLevel)

        #expect(message.title == "Offboarding SLA: j.smith")
        #expect(message.severity == .critical)
        #expect(message.alert == alert.id)
        #expect(try #require(field("Alert", in: message)).contains("A-7"))
        #expect(try #require(field("Alert", in: message)).contains("open"))
        #expect(field("Control", in: message) == "offboarding-sla (CC6.2, CC6.3)")
        #expect(field("Owner", in: message) == "infra")
        #expect(field("Expected", in: message) == "disabled within 24h of termination")
        #expect(field("Observed", in: message) == "active in GitHub, 72h after termination")
        #expect(field("Failing since", in: message) == "2026-02-25 06:13 UTC")
        #expect(field("SLA deadline", in: message) == "2026-02-26 06:13 UTC")
        #expect(message.remediation == "disable the account in GitHub")
        #expect(message.resources == ["j.smith"])
    }

    @Test
    func breachedDeadlineAndEscalationLevelAreShown() throws {
        var alert = ChatFixture.alert(in: .escalated, level: 1)
        alert.slaBreachedAt = ChatFixture.at(ChatFixture.day)
        let message = AlertMessage.render(alert, topLevel: ChatFixture.topLevel)

        #expect(try #require(field("Alert", in: message)).contains("escalation level 1"))
        #expect(field("SLA deadline", in: message) == "2026-02-26 06:13 UTC (breached)")
    }

    @Test
    func stateDetailsAreShown() throws {
        let render = { (state: AlertState) in AlertMessage.render(ChatFixture.alert(in: state), topLevel: ChatFixture.topLevel) }

        #expect(field("Acknowledged by", in: render(.acknowledged)) == "dana")
        let snoozed = try #require(field("Snoozed until", in: render(.snoozed)))
        #expect(snoozed.contains("2026-02-28 06:13 UTC") && snoozed.contains("waiting for the vendor's fix"))
        let accepted = try #require(field("Risk accepted until", in: render(.riskAccepted)))
        #expect(accepted.contains("2026-03-27 06:13 UTC") && accepted.contains("legacy system, replaced in Q3"))
        #expect(field("Remediation", in: render(.closed)) == "disabled the account (https://tickets.example/OPS-12)")
        #expect(field("Resolved at", in: render(.resolved)) == "2026-02-25 08:13 UTC")
    }

    @Test(arguments: [AlertState.closed, .resolved])
    func endedAlertCarriesNoRemediationInstructions(_ state: AlertState) {
        let message = AlertMessage.render(ChatFixture.alert(in: state), topLevel: ChatFixture.topLevel)
        #expect(message.remediation == nil)
    }

    struct Offered: Sendable, CustomTestStringConvertible {
        let state: AlertState
        let level: Int
        let kinds: [ChatAction.Kind]
        var testDescription: String { "\(state.rawValue) at level \(level)" }
    }

    static let offered: [Offered] = [
        .init(state: .open, level: 0, kinds: [.acknowledge, .snooze, .escalate, .close, .accept, .evidence]),
        .init(state: .acknowledged, level: 0, kinds: [.snooze, .escalate, .close, .accept, .evidence]),
        .init(state: .snoozed, level: 0, kinds: [.acknowledge, .escalate, .close, .evidence]),
        .init(state: .escalated, level: 1, kinds: [.acknowledge, .snooze, .escalate, .close, .accept, .evidence]),
        .init(state: .escalated, level: 2, kinds: [.acknowledge, .snooze, .close, .accept, .evidence]),
        .init(state: .acknowledged, level: 2, kinds: [.snooze, .close, .accept, .evidence]),
        .init(state: .riskAccepted, level: 0, kinds: [.close, .evidence]),
        .init(state: .closed, level: 0, kinds: [.evidence]),
        .init(state: .resolved, level: 1, kinds: [.evidence]),
    ]

    @Test(arguments: offered)
    func actionsMatchTheState(_ row: Offered) {
        let alert = ChatFixture.alert(in: row.state, level: row.level, version: 9)
        let message = AlertMessage.render(alert, topLevel: ChatFixture.topLevel)
        #expect(message.actions.map(\.kind) == row.kinds)
        #expect(message.actions.allSatisfy { $0.alert == alert.id && $0.version == 9 })
    }

    @Test
    func acknowledgedAlertOffersNoAcknowledge() {
        let message = AlertMessage.render(ChatFixture.alert(in: .acknowledged), topLevel: ChatFixture.topLevel)
        #expect(!message.actions.contains { $0.kind == .acknowledge })
    }

    @Test
    func groupedAlertListsEachResourceWithItsObservation() {
        let alert = ChatFixture.groupedAlert(count: 3)
        let message = AlertMessage.render(alert, topLevel: ChatFixture.topLevel)
        #expect(message.resources == ["person-01: lapsed 1d ago", "person-02: lapsed 2d ago", "person-03: lapsed 3d ago"])
    }

    @Test
    func resourcesObservedAsTheAlertSaysAreListedByName() {
        var alert = ChatFixture.groupedAlert(count: 2)
        alert.observed = "lapsed 1d ago"
        let message = AlertMessage.render(alert, topLevel: ChatFixture.topLevel)
        #expect(message.resources == ["person-01", "person-02: lapsed 2d ago"])
    }

    @Test
    func updateCarriesTheThreadLineAndBroadcastFlag() {
        let alert = ChatFixture.alert(in: .acknowledged)
        let message = AlertMessage.update(alert, line: "dana acknowledged", at: ChatFixture.at(ChatFixture.hour),
                                          broadcast: true, topLevel: ChatFixture.topLevel)
        #expect(message.threadLine == "2026-02-25 07:13 UTC · dana acknowledged")
        #expect(message.broadcast)
        #expect(message.fields == AlertMessage.render(alert, topLevel: ChatFixture.topLevel).fields)
    }

    @Test
    func escalationMessageNamesRecipientLevelAndReason() throws {
        let sam = Person(id: "sam", name: "Sam Okafor", email: "sam@example.com")
        var alert = ChatFixture.alert(in: .escalated, level: 1)
        let unacknowledged = try #require(AlertMessage.escalation(alert, level: 1, recipient: sam, topLevel: ChatFixture.topLevel).body)
        #expect(unacknowledged == "Sam Okafor: A-7 escalated to you (level 1); team infra has not acknowledged it in time.")

        alert.slaBreachedAt = ChatFixture.at(ChatFixture.day)
        let breached = try #require(AlertMessage.escalation(alert, level: 2, recipient: sam, topLevel: ChatFixture.topLevel).body)
        #expect(breached.hasSuffix("(level 2); team infra has not remediated it within the SLA."))
    }

    /// A person's escalation tells the recipient who escalated and why, not that the team missed a deadline.
    @Test
    func aPersonsEscalationNamesThemAndTheirNote() throws {
        let sam = Person(id: "sam", name: "Sam Okafor", email: "sam@example.com")
        let request = AlertRequest(.escalate(note: "prod keys exposed, need a decision today"), by: .person("dana"), via: .chat(.slack), at: ChatFixture.at(ChatFixture.hour))
        guard case .changed(let escalated, _, _) = try AlertLifecycle(policy: .standard).apply(request, to: ChatFixture.alert()) else {
            Issue.record("the escalation changed nothing"); return
        }
        let body = try #require(AlertMessage.escalation(escalated, level: 1, recipient: sam, topLevel: ChatFixture.topLevel).body)
        #expect(body == "Sam Okafor: A-7 escalated to you (level 1); dana escalated it: “prod keys exposed, need a decision today”")
        #expect(!body.contains("has not acknowledged"))
    }
}
