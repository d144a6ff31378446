import Chat
import Core
import Engine
import Foundation
import Testing
import TestSupport

/// What people do in Slack — buttons, modals, slash commands — through the transport-neutral handler, on the real
/// engine and a fake Slack: who may act, what they see, what the ledger keeps.
@Suite("Slack interactions")
struct SlackInteractionsTests {
    static func decode(_ payload: [String: Any]) throws -> SlackInteraction {
        try SlackInteraction(payload: InboundJSON.parse(JSONSerialization.data(withJSONObject: payload), what: "test"))
    }

    /// Clicks the element for `kind` on `message` as Slack user `user`.
    static func click(_ bed: SlackTestBed, _ kind: ChatAction.Kind, on message: FakeSlackWebAPI.Posted, as user: String) async throws {
        let element = try #require(SlackTestBed.actionID(kind, in: message), "no \(kind) on the message")
        let payload = FakeSlackPayloads.blockActions(message: message, actionID: element.actionID, selectedValue: element.selected,
                                                     user: user, trigger: bed.fake.issueTrigger())
        #expect(await bed.interactions.interaction(try decode(payload)) == nil, "clicks are acknowledged with an empty body")
    }

    @Test func snoozeButtonOpensAModalWhoseSubmissionSnoozesTheAlertAndEditsTheMessage() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        #expect(posted.channel == SlackTestBed.channel)

        try await Self.click(bed, .snooze, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(bed.fake.views.count == 1)
        let opened = try #require(bed.fake.views.first)

        // An invalid submission comes back as errors on the fields; nothing changes.
        let bad = FakeSlackPayloads.viewSubmission(opened, values: ["duration": "soon", "rationale": " "], user: "U0DANA")
        let errors = try #require(await bed.interactions.interaction(try Self.decode(bad)))
        #expect(errors["response_action"]?.stringValue == "errors")
        #expect(errors["errors"]?["duration"] != nil && errors["errors"]?["rationale"] != nil)
        #expect(try bed.alert()?.state == .open)

        let good = FakeSlackPayloads.viewSubmission(opened, values: ["duration": "2d", "rationale": "vendor fix lands Thursday"], user: "U0DANA")
        #expect(await bed.interactions.interaction(try Self.decode(good)) == nil, "a valid submission closes the modal")
        let alert = try #require(try bed.alert())
        #expect(alert.state == .snoozed && alert.rationale == "vendor fix lands Thursday")
        #expect(alert.snoozedUntil == SlackTestBed.t0.addingTimeInterval(2 * 86_400))

        try await bed.dispatcher.drain()
        #expect(bed.fake.updates.map(\.ts) == [posted.ts], "the original message is edited in place")
        #expect(bed.fake.messages.contains { $0.threadTS == posted.ts && $0.text.contains("dana") && $0.text.contains("snooze") })
        let human = try bed.evidence(kind: "human_action")
        #expect(human.contains { ($0["data"] as? [String: Any])?["surface"] as? String == "slack" && ($0["data"] as? [String: Any])?["outcome"] as? String == "done" })
    }

    @Test func acknowledgeActsAtOnceAndAStaleClickChangesNothing() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        try await Self.click(bed, .acknowledge, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(try bed.alert()?.state == .acknowledged)
        let version = try #require(try bed.alert()?.version)

        // The same (old) message clicked again — now stale: refused with a reason, nothing changes.
        try await Self.click(bed, .escalate, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(bed.fake.responses.count == 1)
        #expect(try bed.alert()?.version == version)
        #expect(try bed.alert()?.state == .acknowledged)
        let answer = try #require(bed.fake.responses.first)
        #expect(answer.text.contains("Refused") || answer.text.contains("Nothing to do"))
        #expect(try #require(JSONSerialization.jsonObject(with: answer.body) as? [String: Any])["response_type"] as? String == "ephemeral")
    }

    @Test func strangersAndOtherTeamsAreRefusedAndTheRefusalIsRecorded() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)

        try await Self.click(bed, .acknowledge, on: posted, as: "U0STRANGER")
        await bed.settled()
        #expect(bed.fake.responses.count == 1)
        #expect(bed.fake.responses[0].text.contains("not linked to anyone in the manifests"))

        try await Self.click(bed, .close, on: posted, as: "U0EVE")
        await bed.settled()
        #expect(bed.fake.responses.count == 2)
        #expect(bed.fake.responses[1].text.contains("belongs to team infra"))
        #expect(bed.fake.views.isEmpty, "no form is opened for someone who may not submit it")

        #expect(try bed.alert()?.state == .open)
        let refusals = try bed.evidence(kind: "chat_refusal")
        #expect(refusals.count == 2)
        #expect(refusals.compactMap { ($0["data"] as? [String: Any])?["actor"] as? String } == ["slack:U0STRANGER", "eve"])
    }

    @Test func peopleWithoutASlackIdAreFoundByTheirEmail() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        // sam has no Slack id in the manifests; U0SAMSLACK's profile e-mail is sam's.
        try await Self.click(bed, .acknowledge, on: posted, as: "U0SAMSLACK")
        await bed.settled()
        #expect(try bed.alert()?.acknowledgedBy == "sam")
        #expect(bed.fake.calls.contains("users.info"))
    }

    @Test func acceptRiskTakesALeadAndItsFormSaysSo() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        try await Self.click(bed, .accept, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(bed.fake.responses.count == 1)
        #expect(bed.fake.responses[0].text.contains("accept risk"))
        #expect(bed.fake.views.isEmpty)

        try await Self.click(bed, .accept, on: posted, as: "U0LEE")
        await bed.settled()
        #expect(bed.fake.views.count == 1)
        let opened = try #require(bed.fake.views.first)
        let submit = FakeSlackPayloads.viewSubmission(opened, values: ["duration": "30d", "rationale": "compensating control: VPN only"], user: "U0LEE")
        #expect(await bed.interactions.interaction(try Self.decode(submit)) == nil)
        #expect(try bed.alert()?.state == .riskAccepted)
    }

    @Test func closeFormRecordsTheRemediationAndLink() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        try await Self.click(bed, .close, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(bed.fake.views.count == 1)
        let opened = try #require(bed.fake.views.first)
        let bad = FakeSlackPayloads.viewSubmission(opened, values: ["remediation": "enabled SSE-KMS", "link": "ftp://x"], user: "U0DANA")
        #expect(try #require(await bed.interactions.interaction(try Self.decode(bad)))["errors"]?["link"] != nil)
        let good = FakeSlackPayloads.viewSubmission(opened, values: ["remediation": "enabled SSE-KMS", "link": "https://git.example/pr/12"], user: "U0DANA")
        #expect(await bed.interactions.interaction(try Self.decode(good)) == nil)
        let alert = try #require(try bed.alert())
        #expect(alert.state == .closed && alert.remediationNote == "enabled SSE-KMS" && alert.remediationLink == "https://git.example/pr/12")
    }

    @Test func viewEvidenceFromTheOverflowMenuAnswersWithTheHistory() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        try await Self.click(bed, .evidence, on: posted, as: "U0DANA")
        await bed.settled()
        #expect(bed.fake.responses.count == 1)
        let body = String(decoding: bed.fake.responses[0].body, as: UTF8.self)
        #expect(body.contains("History"))
    }

    @Test func slashCommandsAnswerEphemerallyAndUnmappedPeopleGetOnlyHelp() async throws {
        let bed = try SlackTestBed()
        try await bed.fail()
        let status = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("status", user: "U0DANA", trigger: bed.fake.issueTrigger()))))
        #expect(status["response_type"]?.stringValue == "ephemeral")

        let ack = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("ack A-1", user: "U0DANA", trigger: bed.fake.issueTrigger()))))
        #expect(String(decoding: try JSONValue.encoded(ack), as: UTF8.self).contains("acknowledged"))
        #expect(try bed.alert()?.state == .acknowledged)

        let stranger = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("list", user: "U0STRANGER", trigger: bed.fake.issueTrigger()))))
        #expect(String(decoding: try JSONValue.encoded(stranger), as: UTF8.self).contains("not linked"))
        let unknown = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("frobnicate", user: "U0DANA", trigger: bed.fake.issueTrigger()))))
        #expect(String(decoding: try JSONValue.encoded(unknown), as: UTF8.self).contains("/soc2 status"), "unknown commands get the help")
    }

    @Test func anotherWorkspaceIsRefused() async throws {
        let bed = try SlackTestBed()
        try await bed.fail()
        let answer = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("ack A-1", user: "U0DANA", trigger: bed.fake.issueTrigger(), team: "T0OTHER"))))
        #expect(String(decoding: try JSONValue.encoded(answer), as: UTF8.self).contains("serves Slack workspace"))
        #expect(try bed.alert()?.state == .open)
        #expect(try bed.evidence(kind: "chat_refusal").count == 1)
    }

    @Test func aRequestNamingNoWorkspaceOrAppIsRefusedWhenTheyAreConfigured() async throws {
        let bed = try SlackTestBed()
        let posted = try #require(try await bed.fail().first)
        // A slash command without api_app_id.
        let noApp = await bed.interactions.slashCommand(try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("ack A-1", user: "U0DANA", trigger: bed.fake.issueTrigger(), appID: ""))))
        #expect(String(decoding: try JSONValue.encoded(noApp), as: UTF8.self).contains("names no Slack app"))
        // A click whose team is null (as an org-wide install sends it).
        let element = try #require(SlackTestBed.actionID(.acknowledge, in: posted))
        var click = FakeSlackPayloads.blockActions(message: posted, actionID: element.actionID, user: "U0DANA", trigger: bed.fake.issueTrigger())
        click["team"] = NSNull()
        #expect(await bed.interactions.interaction(try Self.decode(click)) == nil)
        await bed.settled()
        #expect(bed.fake.responses.contains { $0.text.contains("names no workspace") })
        #expect(try bed.alert()?.state == .open)
        #expect(try bed.evidence(kind: "chat_refusal").count == 2)
    }

    @Test func answersGoOnlyToSlackHostsOverHTTPSOrToALoopbackAPIBaseOverHTTP() {
        let hosts: Set<String> = ["hooks.slack.com", "127.0.0.1"]
        func refusal(_ url: String) -> String? { SlackInteractions.responseURLRefusal(URL(string: url)!, hosts: hosts) }
        #expect(refusal("https://hooks.slack.com/actions/T1/2/abc") == nil)
        #expect(refusal("https://evil.example/actions/T1/2/abc") == "not a Slack host")
        // The scheme is the reason here, and the log says so.
        #expect(refusal("http://hooks.slack.com/actions/T1/2/abc")?.hasPrefix("not https") == true)
        // A local stand-in at the configured API base (loopback) may be answered over plain http.
        #expect(refusal("http://127.0.0.1:8089/actions/T1/2/abc") == nil)
        #expect(refusal("ftp://hooks.slack.com/x")?.hasPrefix("not https") == true)
    }

    @Test func slowAnswersGoToTheResponseURL() async throws {
        // Slack has not said who U0SAMSLACK is when the 50 ms answer budget is spent: "working on it" now, the answer later.
        let bed = try SlackTestBed(answerBudget: .milliseconds(50))
        try await bed.fail()
        let answerUsersInfo = bed.fake.hold("users.info")
        let request = try SlackSlashCommandRequest(form: FakeSlackForm.decode(
            FakeSlackPayloads.slashCommand("list", user: "U0SAMSLACK", trigger: bed.fake.issueTrigger())))
        async let quick = bed.interactions.slashCommand(request)
        await bed.answerClock.sleepers(1)
        bed.answerClock.advance(by: 0.05)
        #expect(String(decoding: try JSONValue.encoded(await quick), as: UTF8.self).contains("Working on it"))
        answerUsersInfo()
        await bed.settled()
        #expect(bed.fake.responses.contains { $0.text.contains("Open alerts") })
    }

    @Test func managersWithoutASlackIdAreDirectMessagedByEmailLookup() async throws {
        let bed = try SlackTestBed()
        try await bed.fail()
        bed.clock.advance(by: 3_601)   // the ack timeout (1 h) passes: sam, the manager, is told
        try bed.engine.fireTimers(at: bed.clock.now())
        try await bed.dispatcher.drain()
        #expect(bed.fake.calls.contains("users.lookupByEmail"))
        #expect(bed.fake.messages.contains { $0.channel == "D0SAMSLACK" })
    }
}
