@testable import Chat
import Core
import Foundation
import Testing

@Suite("Chat action ids")
struct ChatActionTests {
    @Test(arguments: ChatAction.Kind.allCases, [(AlertID(1), 1), (AlertID(3), 7), (AlertID(9_876_543_210), 42)])
    func actionIDRoundTrips(_ kind: ChatAction.Kind, _ target: (AlertID, Int)) {
        let action = ChatAction(kind: kind, alert: target.0, version: target.1)
        #expect(ChatAction(actionID: action.actionID) == action)
    }

    @Test
    func actionIDNamesKindAlertAndVersion() {
        #expect(ChatAction(kind: .acknowledge, alert: AlertID(3), version: 5).actionID == "soc2.acknowledge.3.5")
    }

    @Test(arguments: [
        "",
        "soc2",
        "soc2.acknowledge.3",
        "soc2.acknowledge.3.5.1",
        "slack.acknowledge.3.5",
        "soc2.ack.3.5",
        "soc2.Acknowledge.3.5",
        "soc2.acknowledge.A-3.5",
        "soc2.acknowledge.3.v5",
        "soc2.acknowledge.3.",
        "soc2..acknowledge.3.5",
        "soc2.acknowledge.3.5.",
        ".soc2.acknowledge.3.5",
        "soc2.acknowledge..3.5",
        "soc2.acknowledge.0.5",
        "soc2.acknowledge.-3.5",
        "soc2.acknowledge.3.0",
        "soc2.acknowledge.3.-1",
        "soc2.acknowledge.+3.5",
        "soc2.acknowledge.03.5",
    ])
    func malformedActionIDIsRejected(_ id: String) {
        #expect(ChatAction(actionID: id) == nil)
    }
}
