@testable import Chat
import Core
import Foundation
import Testing

@Suite("Terminal renderer")
struct TerminalRendererTests {
    let channel = ChatDestination.channel(.terminal, "infra")
    let escape: Character = "\u{1B}"

    private func message(resources count: Int) -> ChatMessage {
        AlertMessage.render(ChatFixture.groupedAlert(count: count), topLevel: ChatFixture.topLevel)
    }

    @Test(arguments: ["alert", "update", "direct", "reply"])
    func plainModeWritesNoEscapeCharacters(_ kind: String) {
        var alert = message(resources: 3)
        alert.threadLine = "2026-02-25 07:13 UTC · dana acknowledged"
        alert.broadcast = true
        alert.body = "Sam Okafor: A-7 escalated to you"
        let text = TerminalRenderer(colour: false).render(alert, destination: channel, kind: kind)
        #expect(!text.contains(escape))
    }

    /// The other half of the plain-mode test: the same message in colour does use ANSI escapes.
    @Test
    func colourModeWritesEscapeCharacters() {
        let text = TerminalRenderer(colour: true).render(message(resources: 3), destination: channel, kind: "alert")
        #expect(text.contains(escape))
    }

    @Test
    func longResourceListIsCutAfterTen() {
        let text = TerminalRenderer(colour: false).render(message(resources: 37), destination: channel, kind: "alert")
        let listed = text.split(separator: "\n").filter { $0.hasPrefix("    • ") }
        #expect(listed.count == 10)
        #expect(listed.first == "    • person-01: lapsed 1d ago")
        #expect(listed.last == "    • person-10: lapsed 10d ago")
        #expect(text.contains("Resources (37)"))
        #expect(text.contains("…and 27 more resources"))
    }

    @Test
    func tenResourcesAreListedWithoutACut() {
        let text = TerminalRenderer(colour: false).render(message(resources: 10), destination: channel, kind: "alert")
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("    • ") }.count == 10)
        #expect(!text.contains("more resources"))
    }

    @Test
    func newAlertShowsFieldsRemediationAndActions() {
        let alert = AlertMessage.render(ChatFixture.alert(), topLevel: ChatFixture.topLevel)
        let text = TerminalRenderer(colour: false).render(alert, destination: channel, kind: "alert")
        #expect(text.hasPrefix("── infra · new alert"))
        #expect(text.contains("[CRITICAL] Offboarding SLA: j.smith"))
        #expect(text.contains("SLA deadline   2026-02-26 06:13 UTC"))
        #expect(text.contains("Remediation  disable the account in GitHub"))
        #expect(text.contains("[Acknowledge] [Snooze…] [Escalate] [Close…] [Accept risk…] [View evidence]"))
        #expect(text.contains("e.g. /soc2 ack A-7"))
    }

    @Test
    func updateShowsTheThreadLineOnly() {
        let update = AlertMessage.update(ChatFixture.alert(in: .acknowledged), line: "dana acknowledged",
                                         at: ChatFixture.at(ChatFixture.hour), broadcast: false, topLevel: ChatFixture.topLevel)
        let text = TerminalRenderer(colour: false).render(update, destination: channel, kind: "update")
        #expect(text == "┄┄ infra · update A-7\n  ↳ 2026-02-25 07:13 UTC · dana acknowledged")
    }

    @Test
    func broadcastUpdateAlsoShowsTheAlert() {
        let update = AlertMessage.update(ChatFixture.alert(), line: "failing again", at: ChatFixture.at(ChatFixture.hour),
                                         broadcast: true, topLevel: ChatFixture.topLevel)
        let text = TerminalRenderer(colour: false).render(update, destination: channel, kind: "update")
        #expect(text.contains("  ↳ 2026-02-25 07:13 UTC · failing again"))
        #expect(text.contains("Offboarding SLA: j.smith"))
    }

    @Test
    func directMessageIsAddressedToThePerson() {
        let sam = Person(id: "sam", name: "Sam Okafor", email: "sam@example.com")
        let message = AlertMessage.escalation(ChatFixture.alert(in: .escalated, level: 1), level: 1, recipient: sam,
                                              topLevel: ChatFixture.topLevel)
        let text = TerminalRenderer(colour: false).render(message, destination: .direct(.terminal, "sam"), kind: "direct")
        let lines = text.split(separator: "\n")
        #expect(lines.first == "── DM → sam · escalation")
        #expect(lines.dropFirst().first == "  Sam Okafor: A-7 escalated to you (level 1); team infra has not acknowledged it in time.")
    }

    @Test
    func replyShowsEveryBodyLine() {
        let reply = ChatMessage.text("Commands", body: SlashCommand.helpText())
        let text = TerminalRenderer(colour: false).render(reply, destination: channel, kind: "reply")
        #expect(text.split(separator: "\n").count == 2 + SlashCommand.reference.count)
        #expect(text.contains("  /soc2 help"))
    }
}
