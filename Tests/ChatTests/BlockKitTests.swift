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

    /// A device named with 40 emoji: few visible characters, many code points and UTF-16 units. The header is cut
    /// to 150 as Slack counts (UTF-16 units, so code points too), between whole emoji.
    @Test func aLongEmojiTitleIsCutAsSlackCountsWithoutSplittingAnEmoji() throws {
        let device = String(repeating: "👩🏽‍💻", count: 40)   // 4 code points, 7 UTF-16 units, 1 visible character each
        let title = "Disk encryption: \(device)"
        let payload = BlockKit.message(alert(title: title))
        #expect(BlockKit.problems(payload).isEmpty, "\(BlockKit.problems(payload))")
        let header = try #require(blocks(payload).first?["text"]?["text"]?.stringValue)
        #expect(header.utf16.count <= BlockKitLimits.headerText)
        #expect(header.unicodeScalars.count <= BlockKitLimits.headerText)
        #expect(header.hasSuffix("👩🏽‍💻…"), "cut after a whole emoji: \(header)")
        #expect(("🟠 HIGH: " + title).hasPrefix(String(header.dropLast())))
    }

    static let awkward = "a🇫🇷é👨‍👩‍👧‍👦❤️👍🏿x" + "e\u{301}" + "👩🏽‍💻"

    /// Whatever the limit, the cut is within it in UTF-16 units and keeps whole characters: never half a surrogate
    /// pair, a flag, an emoji sequence cut at its ZWJ, or a character without its variation selector or modifier.
    @Test(arguments: 1...40)
    func cuttingKeepsWholeCharactersWithinTheLimit(_ limit: Int) {
        let text = String(repeating: Self.awkward, count: 2)
        let cut = BlockKit.cut(text, limit)
        #expect(cut.utf16.count <= limit)
        #expect(cut.hasSuffix("…"))
        let kept = String(cut.dropLast())
        #expect(Array(text).starts(with: Array(kept)), "\(kept) is whole characters of the text")
        #expect(text.hasPrefix(kept) && text[text.index(text.startIndex, offsetBy: kept.count)...].unicodeScalars.first.map {
            $0 != "\u{200D}" && $0 != "\u{FE0F}" && !(0x1F3FB...0x1F3FF).contains($0.value) && $0 != "\u{301}"
        } != false, "nothing that belongs to the last kept character is left out")
    }

    /// The validator counts as Slack does and checks every limit the bot's blocks can meet, not only the few the
    /// renderer used to worry about.
    @Test func theValidatorChecksEveryDocumentedLimitAsSlackCounts() {
        func text(_ string: String, plain: Bool = true) -> JSONValue { .object(["type": .string(plain ? "plain_text" : "mrkdwn"), "text": .string(string)]) }
        func button(_ label: String = "Ack", id: String = "a", extra: [String: JSONValue] = [:]) -> JSONValue {
            .object(["type": .string("button"), "action_id": .string(id), "value": .string("v"), "text": text(label)].merging(extra) { _, new in new })
        }
        let family = String(repeating: "👨‍👩‍👧‍👦", count: 20)   // 20 characters, 140 code points, 220 UTF-16 units
        let payload = JSONValue.object(["text": .string("t"), "blocks": .array([
            .object(["type": .string("header"), "text": text(family)]),
            .object(["type": .string("header"), "text": text("")]),
            .object(["type": .string("header"), "text": text("mrkdwn header", plain: false)]),
            .object(["type": .string("section"), "block_id": .string(String(repeating: "b", count: 256)), "text": text("s", plain: false)]),
            .object(["type": .string("section"), "text": text("s", plain: false), "accessory": button(String(repeating: "x", count: 76))]),
            .object(["type": .string("actions"), "elements": .array([
                button(id: "same"), button(id: "same"),
                button(id: "u", extra: ["url": .string("https://example.com/" + String(repeating: "p", count: 3_000))]),
                button(id: "s", extra: ["style": .string("warning")]),
                button(id: "c", extra: ["confirm": .object(["title": text(String(repeating: "t", count: 101)), "text": text("sure?", plain: false),
                                                            "confirm": text("Yes"), "deny": text("No")])]),
            ])]),
            .object(["type": .string("context"), "elements": .array(Array(repeating: text("c", plain: false), count: 11))]),
        ])])
        let problems = BlockKit.problems(payload)
        for expected in ["block 0: header text > 150", "block 1: header text empty", "block 2: header text must be plain_text",
                         "block 3: block_id > 255", "block 4: button text > 75", "block 5: action_id same repeated", "block 5: button url > 3000",
                         "block 5: button style warning", "block 5: confirm title > 100", "block 6: 11 context elements"] {
            #expect(problems.contains { $0.hasPrefix(expected) }, "missing \(expected) in \(problems)")
        }
    }

    /// What the validator refuses is not sent as blocks: the message goes as plain text, whole.
    @Test func aMessageBeyondTheLimitsIsSentAsPlainText() throws {
        var message = alert(title: "")   // an empty header: Slack refuses it
        message.severity = nil
        let (payload, problems) = BlockKit.sendable(message)
        #expect(!problems.isEmpty)
        #expect(payload["blocks"] == nil)
        let text = try #require(payload["text"]?.stringValue)
        #expect(text.contains("*Observed*: still active in GitHub") && text.contains("*Remediation*: Disable the accounts."))
        #expect(text.contains("`/soc2 ack A-5`"))
        #expect(BlockKit.sendable(alert()).problems.isEmpty && BlockKit.sendable(alert()).payload == BlockKit.message(alert()))
    }
}
