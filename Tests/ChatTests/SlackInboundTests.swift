@testable import Chat
import Core
import Foundation
import Testing

/// Slack's inbound payloads as Slack sends them, modelled on the documented examples (docs.slack.dev: slash
/// commands, block_actions payload, view interaction payloads, Socket Mode). Tokens are fake and planted so tests
/// can check that no error ever echoes them.
enum SlackSamples {
    static let plantedToken = "xoxb-PLANTED-SECRET-0123456789"

    /// `application/x-www-form-urlencoded` as Slack writes it: unreserved characters kept, space as `+`, the rest
    /// percent-escaped.
    static func form(_ fields: [(String, String)]) -> Data {
        Data(fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&").utf8)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: " "): out.append("+")
            default: out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func slashCommandFields(text: String) -> [(String, String)] {
        [("token", plantedToken), ("team_id", "T0001"), ("team_domain", "example"), ("enterprise_id", "E0001"),
         ("enterprise_name", "Globular Construct Inc"), ("channel_id", "C2147483705"), ("channel_name", "test"),
         ("user_id", "U2147483697"), ("user_name", "Steve"), ("command", "/soc2"), ("text", text),
         ("response_url", "https://hooks.slack.com/commands/1234/5678"), ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
         ("api_app_id", "A123456"), ("is_enterprise_install", "false")]
    }

    static func slashCommand(text: String) -> Data { form(slashCommandFields(text: text)) }

    static func json(_ text: String) -> InboundJSON {
        try! InboundJSON.parse(Data(text.utf8), what: "sample")
    }

    /// A click on a button of an alert message (docs' block_actions example, with our ids).
    static let buttonClick = """
    {
      "type": "block_actions",
      "user": {"id": "U0CA5", "username": "Amy McGee", "name": "Amy McGee", "team_id": "T3MDE"},
      "api_app_id": "A0CA5",
      "token": "\(plantedToken)",
      "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "C0CA5", "is_ephemeral": false},
      "trigger_id": "156772938.1827394",
      "team": {"id": "T3MDE", "domain": "amymcgee"},
      "enterprise": null,
      "is_enterprise_install": false,
      "channel": {"id": "C0CA5", "name": "infra-alerts"},
      "message": {"bot_id": "B0CA5", "type": "message", "text": "Offboarding SLA (A-7)", "user": "U0BOT", "ts": "1548261231.000200",
                  "blocks": [{"type": "header", "block_id": "h1", "text": {"type": "plain_text", "text": "🔴 CRITICAL: Offboarding SLA", "emoji": true}}]},
      "state": {"values": {}},
      "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
      "actions": [{"action_id": "soc2.acknowledge.7.4", "block_id": "=qXel", "text": {"type": "plain_text", "text": "Acknowledge", "emoji": true},
                   "value": "soc2.acknowledge.7.4", "style": "primary", "type": "button", "action_ts": "1548426417.840180"}]
    }
    """

    /// A choice in the alert message's overflow menu: the option's value carries the action id.
    static func overflowChoice(menu: String = "soc2.more.7", option: String = "soc2.accept.7.4") -> String {
        """
        {
          "type": "block_actions",
          "user": {"id": "U0CA5", "username": "amy", "team_id": "T3MDE"},
          "api_app_id": "A0CA5", "token": "\(plantedToken)",
          "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "C0CA5", "is_ephemeral": false},
          "trigger_id": "156772938.1827394",
          "team": {"id": "T3MDE", "domain": "amymcgee"},
          "channel": {"id": "C0CA5", "name": "infra-alerts"},
          "message": {"type": "message", "ts": "1548261231.000200", "text": "Offboarding SLA (A-7)"},
          "response_url": "https://hooks.slack.com/actions/T3MDE/1/abc",
          "actions": [{"type": "overflow", "action_id": "\(menu)", "block_id": "acts",
                       "selected_option": {"text": {"type": "plain_text", "text": "Accept risk…", "emoji": true}, "value": "\(option)"},
                       "action_ts": "1548426417.840181"}]
        }
        """
    }

    /// A submitted snooze modal (docs' view_submission shape, with our view's ids).
    static let snoozeSubmission = """
    {
      "type": "view_submission",
      "team": {"id": "T3MDE", "domain": "amymcgee"},
      "user": {"id": "U0CA5", "username": "amy", "name": "amy", "team_id": "T3MDE"},
      "api_app_id": "A0CA5", "token": "\(plantedToken)", "trigger_id": "12345.98765.abcd2358fdea",
      "view": {
        "id": "VNHU13V36", "team_id": "T3MDE", "type": "modal", "callback_id": "soc2.snooze",
        "private_metadata": "{\\"a\\":7,\\"c\\":\\"C0CA5\\",\\"k\\":\\"snooze\\",\\"t\\":\\"1548261231.000200\\",\\"v\\":4}",
        "hash": "156663117.cd33ad1f", "clear_on_close": false, "notify_on_close": false, "root_view_id": "VNHU13V36",
        "blocks": [],
        "state": {"values": {
          "duration": {"duration": {"type": "plain_text_input", "value": "2d"}},
          "rationale": {"rationale": {"type": "plain_text_input", "value": "waiting for the vendor's fix"}}
        }}
      },
      "response_urls": [], "is_enterprise_install": false, "enterprise": null
    }
    """

    static let viewClosed = """
    {"type": "view_closed", "team": {"id": "T3MDE", "domain": "amymcgee"}, "user": {"id": "U0CA5", "name": "amy"},
     "api_app_id": "A0CA5", "view": {"id": "VNHU13V36", "callback_id": "soc2.close", "private_metadata": "{}"}, "is_cleared": false}
    """

    static func interactionBody(_ json: String) -> Data { form([("payload", json)]) }
}

/// What a decoder threw, nil when it returned. Any error other than `SlackInboundError` is a test failure.
func inboundError<T>(_ body: () throws -> T) -> SlackInboundError? {
    do {
        _ = try body()
        return nil
    } catch let error as SlackInboundError {
        return error
    } catch {
        Issue.record("not a SlackInboundError: \(error)")
        return nil
    }
}

@Suite("Slack form bodies")
struct SlackFormTests {
    @Test func plusIsSpaceAndEscapesDecode() throws {
        let fields = try SlackForm.fields(Data("text=snooze+A-7+2d+vendor%27s+fix%2C+%F0%9F%94%A5+100%25&command=%2Fsoc2&a%2Bb=1%2B1".utf8))
        #expect(fields == ["text": "snooze A-7 2d vendor's fix, 🔥 100%", "command": "/soc2", "a+b": "1+1"])
    }

    @Test func emptyBodiesSegmentsAndValuesAreAccepted() throws {
        #expect(try SlackForm.fields(Data()) == [:])
        #expect(try SlackForm.fields(Data("&&".utf8)) == [:])
        #expect(try SlackForm.fields(Data("a=&b&=ignored&c=1&".utf8)) == ["a": "", "b": "", "c": "1"])
        #expect(try SlackForm.fields(Data("a==b".utf8)) == ["a": "=b"])
    }

    @Test(arguments: [("text=%", 5), ("text=%4", 5), ("text=%G1", 5), ("a=1&%zz=1", 4), ("text=100%", 8), ("t=%%41", 2)])
    func malformedPercentEscapesAreRefused(_ body: String, _ offset: Int) {
        #expect(inboundError { try SlackForm.fields(Data(body.utf8)) } == .malformedPercentEscape(offset: offset))
    }

    @Test func invalidUTF8IsRefusedNamingTheField() {
        #expect(inboundError { try SlackForm.fields(Data("text=%FF%FE".utf8)) } == .invalidUTF8(field: "text"))
        #expect(inboundError { try SlackForm.fields(Data("text=%C3%28".utf8)) } == .invalidUTF8(field: "text"))
        #expect(inboundError { try SlackForm.fields(Data("text=%ED%A0%80".utf8)) } == .invalidUTF8(field: "text"), "an encoded surrogate")
        #expect(inboundError { try SlackForm.fields(Data([0x61, 0x3D, 0xFF])) } == .invalidUTF8(field: "a"), "a raw byte")
        #expect(inboundError { try SlackForm.fields(Data("%FF=1".utf8)) } == .invalidUTF8(field: "(name)"))
    }

    @Test func duplicateFieldsAreRefused() {
        #expect(inboundError { try SlackForm.fields(Data("text=ack+A-1&user_id=U1&text=close+A-1".utf8)) } == .duplicateField("text"))
        #expect(inboundError { try SlackForm.fields(Data("a=1&%61=2".utf8)) } == .duplicateField("a"), "the same name, escaped")
    }

    @Test func hugeBodiesAreRefusedBeforeDecoding() {
        let body = Data(repeating: UInt8(ascii: "a"), count: SlackInboundLimits.bodyBytes + 1)
        #expect(inboundError { try SlackForm.fields(body) } == .tooLarge(what: "form body", bytes: body.count, limit: SlackInboundLimits.bodyBytes))
    }
}

@Suite("Slack slash commands")
struct SlackSlashCommandTests {
    @Test func slacksSigningExampleBodyDecodes() throws {
        // The body from "Verifying requests from Slack" (Fixtures/slack/signing-example.json): empty text, no app id.
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
        let request = try SlackSlashCommandRequest(formBody: Data(body.utf8))
        #expect(request == SlackSlashCommandRequest(
            teamID: "T1DC2JH3J", channelID: "G8PSS9T3V", userID: "U2CERLKJA", command: "/webhook-collect", text: "",
            responseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
            triggerID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"))
        #expect(try request.parsed.get() == .help)
    }

    @Test func aSnoozeWithARationaleDecodesAndParses() throws {
        let request = try SlackSlashCommandRequest(formBody: SlackSamples.slashCommand(text: "snooze A-7 2d waiting for the vendor's fix & co"))
        #expect(request.teamID == "T0001")
        #expect(request.enterpriseID == "E0001")
        #expect(request.apiAppID == "A123456")
        #expect(request.channelID == "C2147483705")
        #expect(request.userID == "U2147483697")
        #expect(request.command == "/soc2")
        #expect(request.triggerID == "13345224609.738474920.8088930838d88f008e0")
        #expect(try request.parsed.get() == .snooze(AlertID(7), duration: 2 * 86_400, rationale: "waiting for the vendor's fix & co"))
    }

    @Test func theSocketModePayloadDecodesToTheSameRequest() throws {
        let fields = SlackSamples.slashCommandFields(text: "close A-7 disabled it https://tickets.example/OPS-12")
        let object = InboundJSON.object(Dictionary(uniqueKeysWithValues: fields.map { ($0.0, InboundJSON.string($0.1)) }))
        let fromJSON = try SlackSlashCommandRequest(payload: object)
        #expect(fromJSON == (try SlackSlashCommandRequest(formBody: SlackSamples.form(fields))))
        #expect(try fromJSON.parsed.get() == .close(AlertID(7), remediation: "disabled it", link: "https://tickets.example/OPS-12"))
    }

    @Test(arguments: ["team_id", "channel_id", "user_id", "command", "response_url", "trigger_id"])
    func aMissingRequiredFieldIsNamed(_ field: String) {
        let fields = SlackSamples.slashCommandFields(text: "status")
        let without = SlackSamples.form(fields.filter { $0.0 != field })
        #expect(inboundError { try SlackSlashCommandRequest(formBody: without) } == .missingField(field))
        let empty = SlackSamples.form(fields.map { $0.0 == field ? ($0.0, "") : $0 })
        #expect(inboundError { try SlackSlashCommandRequest(formBody: empty) } == .missingField(field), "empty counts as missing")
        let object = InboundJSON.object(Dictionary(uniqueKeysWithValues: fields.filter { $0.0 != field }.map { ($0.0, InboundJSON.string($0.1)) }))
        #expect(inboundError { try SlackSlashCommandRequest(payload: object) } == .missingField("payload.\(field)"))
    }

    @Test func optionalFieldsMayBeAbsent() throws {
        let fields = SlackSamples.slashCommandFields(text: "x").filter { !["text", "api_app_id", "enterprise_id"].contains($0.0) }
        let request = try SlackSlashCommandRequest(formBody: SlackSamples.form(fields))
        #expect(request.text == "")
        #expect(request.apiAppID == nil)
        #expect(request.enterpriseID == nil)
    }

    @Test func wrongTypesInTheSocketModePayloadAreRefused() {
        var fields = Dictionary(uniqueKeysWithValues: SlackSamples.slashCommandFields(text: "status").map { ($0.0, InboundJSON.string($0.1)) })
        fields["user_id"] = .number(5)
        #expect(inboundError { try SlackSlashCommandRequest(payload: .object(fields)) } == .wrongType(field: "payload.user_id", expected: "a string"))
        fields["user_id"] = .string("U1")
        fields["text"] = .array([])
        #expect(inboundError { try SlackSlashCommandRequest(payload: .object(fields)) } == .wrongType(field: "payload.text", expected: "a string"))
        #expect(inboundError { try SlackSlashCommandRequest(payload: .string("status")) } == .wrongType(field: "payload", expected: "an object"))
        #expect(inboundError { try SlackSlashCommandRequest(payload: .null) } == .wrongType(field: "payload", expected: "an object"))
    }

    @Test func hugeTextIsRefused() {
        let text = String(repeating: "é", count: SlackInboundLimits.commandText + 1)
        #expect(inboundError { try SlackSlashCommandRequest(formBody: SlackSamples.slashCommand(text: text)) }
                == .tooLong(field: "text", limit: SlackInboundLimits.commandText))
        let fitting = String(repeating: "é", count: SlackInboundLimits.commandText)
        #expect(inboundError { try SlackSlashCommandRequest(formBody: SlackSamples.slashCommand(text: fitting)) } == nil)
    }
}

@Suite("Slack interaction payloads")
struct SlackInteractionTests {
    func decode(_ json: String) throws(SlackInboundError) -> SlackInteraction {
        try SlackInteraction(formBody: SlackSamples.interactionBody(json))
    }

    @Test func aButtonClickDecodesToItsChatAction() throws {
        guard case .blockActions(let click) = try decode(SlackSamples.buttonClick) else { Issue.record("not block_actions"); return }
        #expect(click == SlackBlockActions(
            teamID: "T3MDE", apiAppID: "A0CA5", userID: "U0CA5", triggerID: "156772938.1827394",
            responseURL: "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
            channelID: "C0CA5", messageTS: "1548261231.000200",
            actions: [.init(actionID: "soc2.acknowledge.7.4", blockID: "=qXel", actionTS: "1548426417.840180", type: "button",
                            value: "soc2.acknowledge.7.4")]))
        #expect(click.actions.first?.chatAction == ChatAction(kind: .acknowledge, alert: AlertID(7), version: 4))
    }

    @Test func theSocketModePayloadDecodesLikeTheHTTPBody() throws {
        let viaSocket = try SlackInteraction(payload: SlackSamples.json(SlackSamples.buttonClick))
        #expect(viaSocket == (try decode(SlackSamples.buttonClick)))
    }

    @Test func anOverflowChoiceYieldsTheChosenOptionsAction() throws {
        guard case .blockActions(let click) = try decode(SlackSamples.overflowChoice()) else { Issue.record("not block_actions"); return }
        let action = try #require(click.actions.first)
        #expect(action.type == "overflow")
        #expect(action.value == nil)
        #expect(action.selectedOption == "soc2.accept.7.4")
        #expect(action.chatAction == ChatAction(kind: .accept, alert: AlertID(7), version: 4))
    }

    @Test func anOverflowOptionForAnotherAlertIsIgnored() throws {
        guard case .blockActions(let click) = try decode(SlackSamples.overflowChoice(menu: "soc2.more.8", option: "soc2.accept.7.4")) else {
            Issue.record("not block_actions"); return
        }
        #expect(click.actions.first?.chatAction == nil)
        guard case .blockActions(let other) = try decode(SlackSamples.overflowChoice(menu: "soc2.more.7", option: "soc2.bogus.7.4")) else {
            Issue.record("not block_actions"); return
        }
        #expect(other.actions.first?.chatAction == nil)
    }

    /// Every button and menu option of a rendered alert comes back as the action it was rendered from.
    @Test func everyRenderedActionRoundTripsThroughAClick() throws {
        let message = AlertMessage.render(ChatFixture.alert(in: .open), topLevel: ChatFixture.topLevel)
        let blocks = try #require(BlockKit.message(message)["blocks"]?.arrayValue)
        let elements = try #require(blocks.last?["elements"]?.arrayValue)
        var clicked: [ChatAction] = []
        for element in elements {
            let actionID = try #require(element["action_id"]?.stringValue)
            let options: [String?] = element["options"]?.arrayValue?.map { $0["value"]?.stringValue } ?? [nil]
            for option in options {
                var action: [String: InboundJSON] = ["action_id": .string(actionID), "block_id": .string("b1"), "action_ts": .string("1.2"),
                                                     "type": .string(element["type"]?.stringValue ?? "")]
                if let value = element["value"]?.stringValue { action["value"] = .string(value) }
                if let option { action["selected_option"] = .object(["value": .string(option), "text": .object(["type": .string("plain_text"), "text": .string("x")])]) }
                var payload = SlackSamples.json(SlackSamples.buttonClick)
                if case .object(var o) = payload { o["actions"] = .array([.object(action)]); payload = .object(o) }
                guard case .blockActions(let click) = try SlackInteraction(formBody: SlackSamples.form([("payload", String(decoding: payload.data, as: UTF8.self))])) else {
                    Issue.record("not block_actions"); return
                }
                clicked += click.actions.compactMap(\.chatAction)
            }
        }
        #expect(clicked == message.actions)
    }

    @Test func aViewSubmissionFlattensItsState() throws {
        guard case .viewSubmission(let submission) = try decode(SlackSamples.snoozeSubmission) else { Issue.record("not view_submission"); return }
        #expect(submission.teamID == "T3MDE")
        #expect(submission.apiAppID == "A0CA5")
        #expect(submission.userID == "U0CA5")
        #expect(submission.viewID == "VNHU13V36")
        #expect(submission.callbackID == "soc2.snooze")
        #expect(submission.privateMetadata == #"{"a":7,"c":"C0CA5","k":"snooze","t":"1548261231.000200","v":4}"#)
        #expect(submission.values == ["duration": ["duration": "2d"], "rationale": ["rationale": "waiting for the vendor's fix"]])
    }

    @Test func everyInputElementsStateFlattensToText() throws {
        let payload = """
        {"type": "view_submission", "team": null, "user": {"id": "U1"}, "api_app_id": "A1",
         "view": {"id": "V1", "callback_id": "cb", "state": {"values": {
           "b1": {"text": {"type": "plain_text_input", "value": "hello"},
                  "url": {"type": "url_text_input", "value": "https://x.example"},
                  "empty": {"type": "plain_text_input", "value": null},
                  "number": {"type": "number_input", "value": "42"}},
           "b2": {"select": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Two"}, "value": "two"}},
                  "unselected": {"type": "static_select", "selected_option": null},
                  "date": {"type": "datepicker", "selected_date": "2026-03-01"},
                  "time": {"type": "timepicker", "selected_time": "09:30"},
                  "when": {"type": "datetimepicker", "selected_date_time": 1772000000},
                  "user": {"type": "users_select", "selected_user": "U2"},
                  "conversation": {"type": "conversations_select", "selected_conversation": "C2"},
                  "channel": {"type": "channels_select", "selected_channel": "C3"},
                  "radio": {"type": "radio_buttons", "selected_option": {"value": "r1"}}},
           "b3": {"checks": {"type": "checkboxes", "selected_options": [{"value": "a"}, {"value": "b"}]},
                  "none": {"type": "checkboxes", "selected_options": []},
                  "users": {"type": "multi_users_select", "selected_users": ["U1", "U2"]}},
           "b4": {}
         }}}}
        """
        guard case .viewSubmission(let submission) = try SlackInteraction(payload: SlackSamples.json(payload)) else { Issue.record("not view_submission"); return }
        #expect(submission.teamID == nil, "org-installed apps get team: null")
        #expect(submission.privateMetadata == "")
        #expect(submission.values == [
            "b1": ["text": "hello", "url": "https://x.example", "number": "42"],
            "b2": ["select": "two", "date": "2026-03-01", "time": "09:30", "when": "1772000000", "user": "U2", "conversation": "C2",
                   "channel": "C3", "radio": "r1"],
            "b3": ["checks": "a,b", "users": "U1,U2"],
            "b4": [:],
        ])
    }

    @Test func viewClosedAndOtherTypesDecode() throws {
        #expect(try decode(SlackSamples.viewClosed) == .viewClosed(SlackViewClosed(teamID: "T3MDE", userID: "U0CA5", viewID: "VNHU13V36", callbackID: "soc2.close")))
        #expect(try decode(#"{"type": "shortcut", "callback_id": "x"}"#) == .unsupported(type: "shortcut"))
        let long = String(repeating: "t", count: 500)
        guard case .unsupported(let type) = try decode(#"{"type": "\#(long)"}"#) else { Issue.record("not unsupported"); return }
        #expect(type.count <= 80)
    }

    @Test func unknownFieldsAreIgnored() throws {
        var payload = SlackSamples.json(SlackSamples.buttonClick)
        if case .object(var o) = payload {
            o["brand_new_field"] = .object(["nested": .array([.null, .number(1.5), .bool(true)])])
            payload = .object(o)
        }
        #expect(try SlackInteraction(payload: payload) == (try decode(SlackSamples.buttonClick)))
    }

    struct Broken: Sendable, CustomTestStringConvertible {
        let name: String
        let edit: @Sendable (inout [String: InboundJSON]) -> Void
        let error: SlackInboundError
        var testDescription: String { name }
    }

    static let brokenClicks: [Broken] = [
        Broken(name: "no type", edit: { $0["type"] = nil }, error: .missingField("type")),
        Broken(name: "numeric type", edit: { $0["type"] = .number(1) }, error: .wrongType(field: "type", expected: "a string")),
        Broken(name: "no user", edit: { $0["user"] = nil }, error: .missingField("user")),
        Broken(name: "user is a string", edit: { $0["user"] = .string("U0CA5") }, error: .wrongType(field: "user", expected: "an object")),
        Broken(name: "no user id", edit: { $0["user"] = .object(["name": .string("amy")]) }, error: .missingField("user.id")),
        Broken(name: "no trigger", edit: { $0["trigger_id"] = nil }, error: .missingField("trigger_id")),
        Broken(name: "null app id", edit: { $0["api_app_id"] = .null }, error: .missingField("api_app_id")),
        Broken(name: "no actions", edit: { $0["actions"] = nil }, error: .missingField("actions")),
        Broken(name: "actions is an object", edit: { $0["actions"] = .object([:]) }, error: .wrongType(field: "actions", expected: "an array")),
        Broken(name: "an action is a string", edit: { $0["actions"] = .array([.string("soc2.acknowledge.7.4")]) },
               error: .wrongType(field: "actions[0]", expected: "an object")),
        Broken(name: "an action without action_id", edit: { $0["actions"] = .array([.object(["block_id": .string("b"), "action_ts": .string("1"), "type": .string("button")])]) },
               error: .missingField("actions[0].action_id")),
        Broken(name: "numeric action_ts", edit: { $0["actions"] = .array([.object(["action_id": .string("a"), "block_id": .string("b"), "action_ts": .number(1.5), "type": .string("button")])]) },
               error: .wrongType(field: "actions[0].action_ts", expected: "a string")),
        Broken(name: "selected_option is a string", edit: { $0["actions"] = .array([.object(["action_id": .string("a"), "block_id": .string("b"), "action_ts": .string("1"), "type": .string("overflow"), "selected_option": .string("soc2.accept.7.4")])]) },
               error: .wrongType(field: "actions[0].selected_option", expected: "an object")),
        Broken(name: "team is a string", edit: { $0["team"] = .string("T3MDE") }, error: .wrongType(field: "team", expected: "an object")),
        Broken(name: "container is an array", edit: { $0["container"] = .array([]) }, error: .wrongType(field: "container", expected: "an object")),
        Broken(name: "channel id is a number", edit: { $0["container"] = .object(["type": .string("message")]); $0["channel"] = .object(["id": .number(5)]) },
               error: .wrongType(field: "channel.id", expected: "a string")),
    ]

    @Test(arguments: brokenClicks)
    func aBrokenClickIsRefusedNamingTheField(_ broken: Broken) {
        guard case .object(var fields) = SlackSamples.json(SlackSamples.buttonClick) else { Issue.record("sample"); return }
        broken.edit(&fields)
        let error = inboundError { try SlackInteraction(payload: .object(fields)) }
        #expect(error == broken.error)
        #expect(error?.description.contains(SlackSamples.plantedToken) == false)
    }

    static let brokenSubmissions: [Broken] = [
        Broken(name: "no view", edit: { $0["view"] = nil }, error: .missingField("view")),
        Broken(name: "view without id", edit: { if case .object(var v) = $0["view"] { v["id"] = nil; $0["view"] = .object(v) } }, error: .missingField("view.id")),
        Broken(name: "view without callback_id", edit: { if case .object(var v) = $0["view"] { v["callback_id"] = nil; $0["view"] = .object(v) } },
               error: .missingField("view.callback_id")),
        Broken(name: "numeric private_metadata", edit: { if case .object(var v) = $0["view"] { v["private_metadata"] = .number(3); $0["view"] = .object(v) } },
               error: .wrongType(field: "view.private_metadata", expected: "a string")),
        Broken(name: "state values an array", edit: { if case .object(var v) = $0["view"] { v["state"] = .object(["values": .array([])]); $0["view"] = .object(v) } },
               error: .wrongType(field: "view.state.values", expected: "an object")),
        Broken(name: "a block is a string", edit: { if case .object(var v) = $0["view"] { v["state"] = .object(["values": .object(["duration": .string("2d")])]); $0["view"] = .object(v) } },
               error: .wrongType(field: "view.state.values.duration", expected: "an object")),
        Broken(name: "a value is a boolean", edit: { if case .object(var v) = $0["view"] {
            v["state"] = .object(["values": .object(["duration": .object(["duration": .object(["type": .string("plain_text_input"), "value": .bool(true)])])])])
            $0["view"] = .object(v) } },
               error: .wrongType(field: "view.state.values.duration.duration.value", expected: "a string")),
        Broken(name: "a selected option without value", edit: { if case .object(var v) = $0["view"] {
            v["state"] = .object(["values": .object(["b": .object(["a": .object(["selected_options": .array([.object([:])])])])])])
            $0["view"] = .object(v) } },
               error: .missingField("view.state.values.b.a.selected_options[0].value")),
        Broken(name: "a date time that is not an integer", edit: { if case .object(var v) = $0["view"] {
            v["state"] = .object(["values": .object(["b": .object(["a": .object(["selected_date_time": .string("tomorrow")])])])])
            $0["view"] = .object(v) } },
               error: .wrongType(field: "view.state.values.b.a.selected_date_time", expected: "an integer")),
    ]

    @Test(arguments: brokenSubmissions)
    func aBrokenSubmissionIsRefusedNamingTheField(_ broken: Broken) {
        guard case .object(var fields) = SlackSamples.json(SlackSamples.snoozeSubmission) else { Issue.record("sample"); return }
        broken.edit(&fields)
        #expect(inboundError { try SlackInteraction(payload: .object(fields)) } == broken.error)
    }

    @Test func garbageBodiesAreRefused() {
        #expect(inboundError { try SlackInteraction(formBody: Data()) } == .missingField("payload"))
        #expect(inboundError { try SlackInteraction(formBody: Data("payload=".utf8)) } == .missingField("payload"))
        #expect(inboundError { try SlackInteraction(formBody: Data("payload=%7B%22type%22".utf8)) } == .malformedJSON(what: "payload"))
        #expect(inboundError { try SlackInteraction(formBody: Data("payload=not+json".utf8)) } == .malformedJSON(what: "payload"))
        #expect(inboundError { try SlackInteraction(formBody: SlackSamples.interactionBody("[1,2]")) } == .wrongType(field: "(top level)", expected: "an object"))
        #expect(inboundError { try SlackInteraction(formBody: SlackSamples.interactionBody("\"block_actions\"")) } == .wrongType(field: "(top level)", expected: "an object"))
        #expect(inboundError { try SlackInteraction(formBody: SlackSamples.interactionBody("{}")) } == .missingField("type"))
        #expect(inboundError { try SlackInteraction(formBody: Data("payload=%ZZ".utf8)) } == .malformedPercentEscape(offset: 8))
    }

    @Test func invalidUTF8InsideJSONIsRefused() {
        var bytes = Data(#"{"type": "block_actions", "user": {"id": "U"#.utf8)
        bytes.append(contentsOf: [0xFF, 0xFE])
        bytes.append(contentsOf: Data(#""}}"#.utf8))
        #expect(inboundError { try InboundJSON.parse(bytes, what: "payload") } == .malformedJSON(what: "payload"))
    }

    @Test func deeplyNestedJSONIsRefusedWithoutRecursing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(inboundError { try InboundJSON.parse(Data(deep.utf8), what: "payload") } == .tooDeeplyNested(what: "payload", limit: SlackInboundLimits.jsonDepth))
        let object = "{\"type\":\"block_actions\",\"x\":" + String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 70) + "}"
        #expect(inboundError { try SlackInteraction(formBody: SlackSamples.interactionBody(object)) } == .tooDeeplyNested(what: "payload", limit: SlackInboundLimits.jsonDepth))
        // Brackets inside strings do not count.
        let quoted = #"{"type": "x", "text": "\#(String(repeating: "[{", count: 1_000))\"]"}"#
        #expect(inboundError { try SlackInteraction(formBody: SlackSamples.interactionBody(quoted)) } == nil)
    }

    @Test func errorDescriptionsAreShortAndEchoNoSecrets() {
        let errors: [SlackInboundError] = [
            .missingField(String(repeating: "f", count: 500)), .wrongType(field: "a\u{1B}[31mred\n", expected: "a string"),
            .duplicateField("x\u{202E}y"), .apiError(method: "m", error: String(repeating: "e", count: 1_000)),
            .invalidValue(field: "url", problem: "is not a wss:// URL"),
        ]
        for error in errors {
            #expect(error.description.count <= 200, "\(error.description.count)")
            #expect(!error.description.contains { $0.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format } })
        }
    }
}

@Suite("Slack replies")
struct SlackReplyTests {
    @Test func anEphemeralReplyIsTheMessagePlusResponseType() {
        let message = ChatMessage.text("Snoozed A-7 for 2d", body: "until Friday")
        let reply = SlackReply.ephemeral(message)
        #expect(reply["response_type"] == .string("ephemeral"))
        #expect(reply["replace_original"] == .bool(false))
        #expect(reply["blocks"] == BlockKit.message(message)["blocks"])
        #expect(reply["text"] == BlockKit.message(message)["text"])
    }
}
