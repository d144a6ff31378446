@testable import Chat
import Core
import Foundation
import Testing

@Suite("Slack modals: Snooze…, Accept risk…, Close…")
struct SlackModalTests {
    static let day: TimeInterval = 86_400
    static let origin = (channel: "C0CA5", ts: "1548261231.000200")

    func action(_ kind: ChatAction.Kind, alert: Int64 = 7, version: Int = 4) -> ChatAction {
        ChatAction(kind: kind, alert: AlertID(alert), version: version)
    }

    /// The `view_submission` Slack would send for `view` with `typed` in its inputs (block id → text; nil or absent
    /// sends `value: null`, as Slack does for an untouched input), as the HTTP body, decoded by the bot's decoder.
    static func submit(_ view: JSONValue, typed: [String: String], callbackID: String? = nil, metadata: String? = nil) throws -> SlackViewSubmission {
        let viewJSON = try InboundJSON.parse(JSONValue.encoded(view), what: "view")
        var state: [String: InboundJSON] = [:]
        for block in view["blocks"]?.arrayValue ?? [] where block["type"]?.stringValue == "input" {
            let blockID = try #require(block["block_id"]?.stringValue)
            let actionID = try #require(block["element"]?["action_id"]?.stringValue)
            let type = try #require(block["element"]?["type"]?.stringValue)
            state[blockID] = .object([actionID: .object(["type": .string(type), "value": typed[blockID].map(InboundJSON.string) ?? .null])])
        }
        let payload = InboundJSON.object([
            "type": .string("view_submission"),
            "team": .object(["id": .string("T3MDE"), "domain": .string("amymcgee")]),
            "user": .object(["id": .string("U0CA5"), "username": .string("amy"), "team_id": .string("T3MDE")]),
            "api_app_id": .string("A0CA5"), "token": .string(SlackSamples.plantedToken), "trigger_id": .string("1.2.3"),
            "view": .object([
                "id": .string("VNHU13V36"), "team_id": .string("T3MDE"), "type": .string("modal"),
                "callback_id": callbackID.map(InboundJSON.string) ?? viewJSON["callback_id"] ?? .null,
                "private_metadata": metadata.map(InboundJSON.string) ?? viewJSON["private_metadata"] ?? .null,
                "hash": .string("156663117.cd33ad1f"), "blocks": viewJSON["blocks"] ?? .array([]),
                "title": viewJSON["title"] ?? .null, "state": .object(["values": .object(state)]),
            ]),
            "response_urls": .array([]), "is_enterprise_install": .bool(false), "enterprise": .null,
        ])
        guard case .viewSubmission(let submission) = try SlackInteraction(formBody: SlackSamples.interactionBody(String(decoding: payload.data, as: UTF8.self))) else {
            throw SlackInboundError.invalidValue(field: "type", problem: "did not decode as view_submission")
        }
        return submission
    }

    func decide(_ kind: ChatAction.Kind, _ typed: [String: String], origin: (channel: String, ts: String)? = SlackModalTests.origin) throws -> Result<ModalDecision, ModalErrors> {
        let view = try #require(SlackModal.view(for: action(kind), alertTitle: "Offboarding SLA: j.smith", origin: origin))
        return SlackModal.submission(try Self.submit(view, typed: typed))
    }

    // MARK: The views

    @Test(arguments: [ChatAction.Kind.snooze, .accept, .close], [Int64(7), Int64.max])
    func theViewIsAModalWithinSlacksLimits(_ kind: ChatAction.Kind, _ alert: Int64) throws {
        let title = "<!channel> & " + String(repeating: "Offboarding SLA ", count: 400)
        let view = try #require(SlackModal.view(for: action(kind, alert: alert, version: Int.max), alertTitle: title,
                                                origin: (channel: "C0CA5", ts: "1548261231.000200")))
        #expect(view["type"] == .string("modal"))
        #expect(view["callback_id"] == .string("soc2.\(kind.rawValue)"))
        for key in ["title", "submit", "close"] {
            let text = try #require(view[key]?["text"]?.stringValue)
            #expect(view[key]?["type"] == .string("plain_text"))
            #expect(!text.isEmpty && text.count <= 24, "\(key): \(text)")
        }
        let metadata = try #require(view["private_metadata"]?.stringValue)
        #expect(metadata.count <= 3_000)
        #expect(metadata == "{\"a\":\(alert),\"c\":\"C0CA5\",\"k\":\"\(kind.rawValue)\",\"t\":\"1548261231.000200\",\"v\":\(Int.max)}")
        let blocks = try #require(view["blocks"]?.arrayValue)
        #expect(blocks.count <= 100)
        let summary = try #require(blocks.first?["text"]?["text"]?.stringValue)
        #expect(summary.count <= 3_000)
        #expect(summary.hasPrefix("*A-\(alert)* · &lt;!channel&gt; &amp; Offboarding"), "alert text cannot inject mentions")
        let inputs = blocks.filter { $0["type"]?.stringValue == "input" }
        let expected = kind == .close ? ["remediation", "link"] : ["duration", "rationale"]
        #expect(inputs.compactMap { $0["block_id"]?.stringValue } == expected)
        for input in inputs {
            #expect(input["element"]?["action_id"] == input["block_id"], "each block's element has the block's id")
            #expect((1...2_000).contains(input["label"]?["text"]?.stringValue?.count ?? 0))
            if case .int(let max) = input["element"]?["max_length"] { #expect(max <= 3_000) }
        }
        let types = inputs.compactMap { $0["element"]?["type"]?.stringValue }
        #expect(types == (kind == .close ? ["plain_text_input", "url_text_input"] : ["plain_text_input", "plain_text_input"]))
        if kind == .close {
            #expect(inputs[0]["element"]?["multiline"] == .bool(true))
            #expect(inputs[0]["optional"] == nil, "remediation is required")
            #expect(inputs[1]["optional"] == .bool(true), "the link is optional")
        } else {
            #expect(inputs[0]["hint"]?["text"] == .string("e.g. 4h, 2d, 1w"))
            #expect(inputs[1]["element"]?["multiline"] == .bool(true))
        }
        #expect(try JSONValue.encoded(view).count < 250_000)
    }

    @Test(arguments: [ChatAction.Kind.acknowledge, .escalate, .evidence])
    func kindsWithoutAFormHaveNoModal(_ kind: ChatAction.Kind) {
        #expect(SlackModal.view(for: action(kind), alertTitle: "x", origin: nil) == nil)
    }

    @Test func anOriginTooLongForPrivateMetadataIsDropped() throws {
        let view = try #require(SlackModal.view(for: action(.snooze), alertTitle: "t", origin: (channel: String(repeating: "C", count: 3_000), ts: "1.2")))
        #expect(view["private_metadata"] == .string(#"{"a":7,"k":"snooze","v":4}"#))
        let decision = try SlackModal.submission(Self.submit(view, typed: ["duration": "1d", "rationale": "r"])).get()
        #expect(decision.origin == nil)
        #expect(decision.alert == AlertID(7))
    }

    // MARK: Submissions

    struct Row: Sendable, CustomTestStringConvertible {
        let kind: ChatAction.Kind
        let typed: [String: String]
        let expected: Result<ModalDecision.Choice, ModalErrors>
        var testDescription: String { "\(kind) \(typed.sorted { $0.key < $1.key })" }
        init(_ kind: ChatAction.Kind, _ typed: [String: String], _ expected: Result<ModalDecision.Choice, ModalErrors>) {
            self.kind = kind; self.typed = typed; self.expected = expected
        }
    }

    static let rows: [Row] = [
        Row(.snooze, ["duration": "2d", "rationale": "waiting for the vendor's fix"], .success(.snooze(duration: 2 * day, rationale: "waiting for the vendor's fix"))),
        Row(.snooze, ["duration": " 1d 12h ", "rationale": "  patch window\n"], .success(.snooze(duration: 1.5 * day, rationale: "patch window"))),
        Row(.snooze, ["duration": "366d", "rationale": "yearly"], .success(.snooze(duration: 366 * day, rationale: "yearly"))),
        Row(.snooze, ["duration": "52w2d", "rationale": "yearly"], .success(.snooze(duration: 366 * day, rationale: "yearly"))),
        Row(.snooze, ["duration": "367d", "rationale": "too long"], .failure(.fields(["duration": "At most 366 days."]))),
        Row(.snooze, ["duration": "99999999999999999999999w", "rationale": "overflow"], .failure(.fields(["duration": "At most 366 days."]))),
        Row(.snooze, ["duration": "2 days", "rationale": "r"], .failure(.fields(["duration": "“2 days” is not a duration such as 4h, 2d or 1w."]))),
        Row(.snooze, ["duration": "0d", "rationale": "r"], .failure(.fields(["duration": "“0d” is not a duration such as 4h, 2d or 1w."]))),
        Row(.snooze, ["rationale": "r"], .failure(.fields(["duration": "Enter a duration such as 4h, 2d or 1w."]))),
        Row(.snooze, ["duration": "4h"], .failure(.fields(["rationale": "Say why it can wait."]))),
        Row(.snooze, ["duration": "4h", "rationale": " \n\t "], .failure(.fields(["rationale": "Say why it can wait."]))),
        Row(.snooze, [:], .failure(.fields(["duration": "Enter a duration such as 4h, 2d or 1w.", "rationale": "Say why it can wait."]))),
        Row(.accept, ["duration": "30d", "rationale": "legacy system, replaced in Q3"], .success(.accept(duration: 30 * day, rationale: "legacy system, replaced in Q3"))),
        Row(.accept, ["duration": "1w", "rationale": ""], .failure(.fields(["rationale": "Say why the risk is acceptable."]))),
        Row(.accept, ["duration": "400d", "rationale": "x"], .failure(.fields(["duration": "At most 366 days."]))),
        Row(.close, ["remediation": "disabled the account", "link": "https://tickets.example/OPS-12"],
            .success(.close(remediation: "disabled the account", link: "https://tickets.example/OPS-12"))),
        Row(.close, ["remediation": "rotated the key", "link": "  http://wiki.internal/runbook "],
            .success(.close(remediation: "rotated the key", link: "http://wiki.internal/runbook"))),
        Row(.close, ["remediation": "disabled the account"], .success(.close(remediation: "disabled the account", link: nil))),
        Row(.close, ["remediation": "disabled", "link": "   "], .success(.close(remediation: "disabled", link: nil))),
        Row(.close, ["remediation": "disabled", "link": "ftp://files.example/x"], .failure(.fields(["link": "Enter an http(s) link, or leave it empty."]))),
        Row(.close, ["remediation": "disabled", "link": "javascript:alert(1)"], .failure(.fields(["link": "Enter an http(s) link, or leave it empty."]))),
        Row(.close, ["remediation": "disabled", "link": "see the ticket"], .failure(.fields(["link": "Enter an http(s) link, or leave it empty."]))),
        Row(.close, ["remediation": "disabled", "link": "https://"], .failure(.fields(["link": "Enter an http(s) link, or leave it empty."]))),
        Row(.close, ["link": "https://tickets.example/OPS-12"], .failure(.fields(["remediation": "Describe what was done."]))),
        Row(.close, ["remediation": "  ", "link": "nope"], .failure(.fields(["remediation": "Describe what was done.", "link": "Enter an http(s) link, or leave it empty."]))),
        Row(.close, ["remediation": String(repeating: "r", count: 3_001)], .failure(.fields(["remediation": "At most 3000 characters."]))),
    ]

    @Test(arguments: rows)
    func aSubmittedModalValidatesBackToItsDecision(_ row: Row) throws {
        let result = try decide(row.kind, row.typed)
        switch (result, row.expected) {
        case (.success(let decision), .success(let choice)):
            #expect(decision == ModalDecision(alert: AlertID(7), version: 4, origin: SlackModal.Origin(channel: "C0CA5", ts: "1548261231.000200"), choice: choice))
        case (.failure(let errors), .failure(let expected)):
            #expect(errors == expected)
            if case .fields(let fields) = errors {
                // Errors land on blocks the view has, so Slack can show them.
                let view = try #require(SlackModal.view(for: action(row.kind), alertTitle: "t", origin: nil))
                let blockIDs = Set(view["blocks"]?.arrayValue?.compactMap { $0["block_id"]?.stringValue } ?? [])
                #expect(Set(fields.keys).isSubset(of: blockIDs))
            }
        default:
            Issue.record("got \(result), expected \(row.expected)")
        }
    }

    @Test func aDecisionWithoutOriginHasNone() throws {
        let decision = try decide(.snooze, ["duration": "4h", "rationale": "lunch"], origin: nil).get()
        #expect(decision.origin == nil)
        #expect(decision.command == .snooze(AlertID(7), duration: 4 * 3_600, rationale: "lunch"))
    }

    @Test func aDecisionIsTheCommandAPersonCouldHaveTyped() throws {
        #expect(try decide(.accept, ["duration": "30d", "rationale": "legacy"]).get().command == .accept(AlertID(7), duration: 30 * Self.day, rationale: "legacy"))
        #expect(try decide(.close, ["remediation": "done", "link": "https://t.example/1"]).get().command
                == .close(AlertID(7), remediation: "done", link: "https://t.example/1"))
    }

    struct Forged: Sendable, CustomTestStringConvertible {
        let name: String
        let callbackID: String?
        let metadata: String?
        var testDescription: String { name }
    }

    static let forged: [Forged] = [
        Forged(name: "unknown callback", callbackID: "other_app.modal", metadata: nil),
        Forged(name: "callback for a kind without a modal", callbackID: "soc2.acknowledge", metadata: nil),
        Forged(name: "callback of another kind", callbackID: "soc2.close", metadata: nil),
        Forged(name: "empty metadata", callbackID: nil, metadata: ""),
        Forged(name: "garbled metadata", callbackID: nil, metadata: #"{"a":7,"k":"snoo"#),
        Forged(name: "metadata not an object", callbackID: nil, metadata: "[7,4]"),
        Forged(name: "alert zero", callbackID: nil, metadata: #"{"a":0,"k":"snooze","v":4}"#),
        Forged(name: "negative version", callbackID: nil, metadata: #"{"a":7,"k":"snooze","v":-1}"#),
        Forged(name: "alert as a string", callbackID: nil, metadata: #"{"a":"A-7","k":"snooze","v":4}"#),
        Forged(name: "half an origin", callbackID: nil, metadata: #"{"a":7,"c":"C1","k":"snooze","v":4}"#),
        Forged(name: "empty origin", callbackID: nil, metadata: #"{"a":7,"c":"","k":"snooze","t":"","v":4}"#),
        Forged(name: "too long", callbackID: nil, metadata: #"{"a":7,"k":"snooze","v":4,"x":""# + String(repeating: "x", count: 3_000) + #""}"#),
        Forged(name: "deep", callbackID: nil, metadata: String(repeating: "[", count: 1_000)),
    ]

    @Test(arguments: forged)
    func aViewThisBotDidNotBuildIsAMetadataError(_ forged: Forged) throws {
        let view = try #require(SlackModal.view(for: action(.snooze), alertTitle: "t", origin: Self.origin))
        let submission = try Self.submit(view, typed: ["duration": "2d", "rationale": "r"], callbackID: forged.callbackID, metadata: forged.metadata)
        guard case .failure(.metadata(let problem)) = SlackModal.submission(submission) else {
            Issue.record("accepted: \(SlackModal.submission(submission))"); return
        }
        #expect(!problem.isEmpty && problem.count <= 80)
    }

    @Test func theErrorsResponseIsSlacksResponseAction() throws {
        let response = SlackModal.errorsResponse(["duration": "Enter a duration such as 4h, 2d or 1w.", "rationale": "Say why it can wait."])
        let text = String(decoding: try JSONValue.encoded(response), as: UTF8.self)
        #expect(text == #"{"errors":{"duration":"Enter a duration such as 4h, 2d or 1w.","rationale":"Say why it can wait."},"response_action":"errors"}"#)
    }

    @Test func errorDescriptionsAreShortAndNameBlocks() {
        let error = ModalErrors.fields(["duration": "At most 366 days.", "rationale": "Say why it can wait."])
        #expect(error.description == "modal input refused: duration: At most 366 days.; rationale: Say why it can wait.")
        #expect(ModalErrors.metadata("private_metadata is not this bot's").description == "modal submission refused: private_metadata is not this bot's")
    }
}
