import Chat
import Core
import Foundation
import Testing

@Suite("Block Kit rendering within Slack's limits")
struct BlockKitTests {
    func alert(resources: Int = 1, title: String = "Leavers' access removed within 24 hours: James Smith", remediation: String = "Disable the accounts.") -> ChatMessage {
        ChatMessage(severity: .high, title: title,
                    fields: [.init("Alert", "A-5 · open"), .init("Control", "offboarding-sla (CC6.2)"), .init("Observed", "still active in GitHub")],
                    resources: (0..<resources).map { "resource-\($0) " + String(repeating: "x", count: 80) },
                    remediation: remediation,
                    actions: ChatAction.Kind.allCases.map { ChatAction(kind: $0, alert: AlertID(5), version: 3) }, alert: AlertID(5))
    }

    func blocks(_ payload: JSONValue) -> [JSONValue] { payload["blocks"]?.arrayValue ?? [] }

    @Test func anAlertRendersHeaderFieldsResourcesRemediationAndActions() throws {
        let payload = BlockKit.message(alert())
        #expect(BlockKit.problems(payload).isEmpty)
        let types = blocks(payload).compactMap { $0["type"]?.stringValue }
        #expect(types == ["header", "section", "section", "section", "actions"])
        #expect(blocks(payload)[0]["text"]?["text"]?.stringValue?.contains("HIGH: Leavers' access") == true)
        #expect(payload["text"]?.stringValue?.contains("(A-5)") == true)
        let elements = try #require(blocks(payload).last?["elements"]?.arrayValue)
        let buttons = elements.filter { $0["type"]?.stringValue == "button" }
        #expect(buttons.compactMap { $0["text"]?["text"]?.stringValue } == ["Acknowledge", "Snooze…", "Escalate", "Close…"])
        #expect(buttons.first?["style"]?.stringValue == "primary")
        // Action ids carry the alert and the version the person saw, and parse back.
        let ackID = try #require(buttons.first?["action_id"]?.stringValue)
        let ack = try #require(ChatAction(actionID: ackID))
        #expect(ack == ChatAction(kind: .acknowledge, alert: AlertID(5), version: 3))
        let overflow = try #require(elements.first { $0["type"]?.stringValue == "overflow" })
        #expect(overflow["options"]?.arrayValue?.compactMap { $0["text"]?["text"]?.stringValue } == ["Accept risk…", "View evidence"])
    }

    @Test func oversizedContentDegradesInsteadOfBeingRejected() {
        var message = alert(resources: 1_000, title: String(repeating: "T", count: 500), remediation: String(repeating: "r", count: 10_000))
        message.fields += (0..<15).map { .init("Field \($0)", String(repeating: "v", count: 3_000)) }
        message.body = String(repeating: String(repeating: "b", count: 100) + "\n", count: 2_000)
        let payload = BlockKit.message(message)
        #expect(BlockKit.problems(payload).isEmpty, "\(BlockKit.problems(payload))")
        let all = blocks(payload)
        #expect(all.count == BlockKitLimits.blocksPerMessage)
        #expect(all.last?["type"]?.stringValue == "context")
        let resourcesText = BlockKit.message(alert(resources: 1_000))["blocks"]?.arrayValue?
            .compactMap { $0["text"]?["text"]?.stringValue }.first { $0.hasPrefix("*Resources (1000)*") }
        #expect(resourcesText?.contains("more resources") == true)
        #expect((resourcesText?.count ?? 0) <= BlockKitLimits.sectionText)
    }

    @Test func mrkdwnControlCharactersAreEscaped() {
        var message = alert()
        message.resources = ["<!channel> & <https://evil.example|click>"]
        let payload = BlockKit.message(message)
        let texts = blocks(payload).compactMap { $0["text"]?["text"]?.stringValue }
        #expect(texts.contains { $0.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;") })
        #expect(!texts.contains { $0.contains("<!channel>") })
    }

    @Test func theValidatorCatchesBrokenPayloads() {
        let button = JSONValue.object(["type": .string("button"), "action_id": .string("x"), "value": .string("v"),
                                       "text": .object(["type": .string("plain_text"), "text": .string(String(repeating: "b", count: 76))])])
        let bad = JSONValue.object(["text": .string("t"), "blocks": .array(
            Array(repeating: .object(["type": .string("section"), "text": .object(["type": .string("mrkdwn"), "text": .string("s")])]), count: 50)
            + [.object(["type": .string("actions"), "elements": .array([button])]), .object(["type": .string("table")])])])
        let problems = BlockKit.problems(bad)
        #expect(problems.contains("52 blocks > 50"))
        #expect(problems.contains { $0.contains("button text > 75") })
        #expect(problems.contains { $0.contains("unknown type table") })
    }
}
