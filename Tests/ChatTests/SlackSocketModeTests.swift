@testable import Chat
import Core
import Foundation
import Testing

/// Socket Mode frames as docs.slack.dev/apis/events-api/using-socket-mode shows them.
@Suite("Slack Socket Mode frames")
struct SlackSocketModeTests {
    func frame(_ text: String) throws(SlackInboundError) -> SocketModeFrame { try SocketModeFrame.decode(text: text) }

    @Test func helloCarriesTheConnectionTimeAndApp() throws {
        let hello = """
        {"type": "hello", "num_connections": 1,
         "debug_info": {"host": "applink-7fc4fdbb64-4x5xq", "build_number": 10, "approximate_connection_time": 18060},
         "connection_info": {"app_id": "A01K58AR4RF"}}
        """
        #expect(try frame(hello) == .hello(approximateConnectionTime: 18_060, appID: "A01K58AR4RF"))
        #expect(try frame(#"{"type":"hello"}"#) == .hello(approximateConnectionTime: nil, appID: nil))
        #expect(try SocketModeFrame.decode(Data(hello.utf8)) == frame(hello))
    }

    @Test(arguments: ["warning", "refresh_requested", "link_disabled", "too_many_websockets"])
    func disconnectCarriesItsReason(_ reason: String) throws {
        #expect(try frame(#"{"type": "disconnect", "reason": "\#(reason)", "debug_info": {"host": "wss-111.slack.com"}}"#) == .disconnect(reason: reason))
    }

    @Test func aDisconnectWithoutReasonStillDisconnects() throws {
        #expect(try frame(#"{"type": "disconnect"}"#) == .disconnect(reason: ""))
    }

    @Test func aSlashCommandEnvelopeDecodesAndItsPayloadIsTheCommand() throws {
        let text = """
        {"envelope_id": "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545",
         "payload": {"token": "\(SlackSamples.plantedToken)", "team_id": "T0123ABC456", "team_domain": "maria", "channel_id": "C0123ABC456",
                     "channel_name": "general", "user_id": "U0123ABC456", "user_name": "rainer", "command": "/soc2", "text": "ack A-7",
                     "api_app_id": "A0123ABC456", "is_enterprise_install": "false",
                     "response_url": "https://hooks.slack.com/commands/T0123ABC456/1/xyz", "trigger_id": "1234.5678.abcdef"},
         "type": "slash_commands", "accepts_response_payload": true}
        """
        guard case .envelope(let envelope) = try frame(text) else { Issue.record("not an envelope"); return }
        #expect(envelope.envelopeID == "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545")
        #expect(envelope.type == .slashCommands)
        #expect(envelope.type.description == "slash_commands")
        #expect(envelope.acceptsResponsePayload)
        #expect(envelope.retryAttempt == nil)
        let command = try SlackSlashCommandRequest(payload: envelope.payload)
        #expect(command.userID == "U0123ABC456")
        #expect(try command.parsed.get() == .ack(AlertID(7)))
        // The payload handed on as bytes decodes to the same value.
        #expect(try InboundJSON.parse(envelope.payloadData, what: "payload") == envelope.payload)
    }

    @Test func anInteractiveEnvelopeCarriesTheInteraction() throws {
        let text = #"{"envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf", "payload": \#(SlackSamples.buttonClick), "type": "interactive", "accepts_response_payload": false}"#
        guard case .envelope(let envelope) = try frame(text) else { Issue.record("not an envelope"); return }
        #expect(envelope.type == .interactive)
        #expect(!envelope.acceptsResponsePayload)
        guard case .blockActions(let click) = try SlackInteraction(payload: envelope.payload) else { Issue.record("not block_actions"); return }
        #expect(click.actions.first?.chatAction == ChatAction(kind: .acknowledge, alert: AlertID(7), version: 4))
    }

    @Test func anEventsEnvelopeCarriesItsRetry() throws {
        let text = """
        {"envelope_id": "e1", "type": "events_api", "accepts_response_payload": false, "retry_attempt": 2, "retry_reason": "timeout",
         "payload": {"token": "x", "team_id": "T1", "api_app_id": "A1", "event": {"type": "app_mention", "text": "<@U1> status"},
                     "type": "event_callback", "event_id": "Ev01", "event_time": 1633038738}}
        """
        guard case .envelope(let envelope) = try frame(text) else { Issue.record("not an envelope"); return }
        #expect(envelope.type == .eventsAPI)
        #expect(envelope.retryAttempt == 2)
        #expect(envelope.retryReason == "timeout")
        #expect(envelope.payload["event"]?["type"]?.stringValue == "app_mention")
    }

    @Test func anEnvelopeWithABrokenPayloadCanStillBeAcknowledged() throws {
        guard case .envelope(let envelope) = try frame(#"{"envelope_id": "e2", "type": "interactive"}"#) else { Issue.record("not an envelope"); return }
        #expect(envelope.payload == .null)
        #expect(!envelope.acceptsResponsePayload)
        #expect(inboundError { try SlackInteraction(payload: envelope.payload) } == .wrongType(field: "(top level)", expected: "an object"))
        #expect(envelope.acknowledgement() == #"{"envelope_id":"e2"}"#)
    }

    @Test func anEnvelopeOfANewTypeKeepsItsName() throws {
        guard case .envelope(let envelope) = try frame(#"{"envelope_id": "e3", "type": "workflow_step", "payload": {}}"#) else { Issue.record("not an envelope"); return }
        #expect(envelope.type == .other("workflow_step"))
    }

    /// A frame we refused is one we could not act on: a hello not seen, an envelope never acknowledged.
    @Test func optionalFrameFieldsOfTheWrongTypeAreReadAsAbsent() throws {
        #expect(try frame(#"{"type": "hello", "debug_info": {"approximate_connection_time": "soon"}, "connection_info": "A1"}"#)
                == .hello(approximateConnectionTime: nil, appID: nil))
        #expect(try frame(#"{"type": "disconnect", "reason": 7}"#) == .disconnect(reason: ""))
        let text = #"{"type": "interactive", "envelope_id": "e", "accepts_response_payload": "yes", "retry_attempt": 1.5, "retry_reason": [], "payload": 3}"#
        #expect(try frame(text) == .envelope(SocketModeEnvelope(envelopeID: "e", type: .interactive, payload: .number(3), acceptsResponsePayload: false)))
    }

    @Test func otherFramesAreUnknown() throws {
        #expect(try frame(#"{"type": "pong"}"#) == .unknown(type: "pong"))
        guard case .unknown(let type) = try frame(#"{"type": "\#(String(repeating: "z", count: 300))"}"#) else { Issue.record("not unknown"); return }
        #expect(type.count <= 80)
    }

    @Test func brokenFramesAreRefused() {
        #expect(inboundError { try frame("") } == .malformedJSON(what: "frame"))
        #expect(inboundError { try frame("{\"type\": \"hello\"") } == .malformedJSON(what: "frame"))
        #expect(inboundError { try frame("[]") } == .wrongType(field: "(top level)", expected: "an object"))
        #expect(inboundError { try frame("{}") } == .missingField("type"))
        #expect(inboundError { try frame(#"{"type": 7}"#) } == .wrongType(field: "type", expected: "a string"))
        #expect(inboundError { try frame(#"{"type": "interactive", "envelope_id": 5}"#) } == .wrongType(field: "envelope_id", expected: "a string"))
        #expect(inboundError { try frame(#"{"type": "interactive", "envelope_id": null}"#) } == .missingField("envelope_id"))
        #expect(inboundError { try SocketModeFrame.decode(Data([0x7B, 0xFF, 0x7D])) } == .malformedJSON(what: "frame"))
    }

    @Test func acknowledgementsAreCompactJSON() throws {
        #expect(SlackSocketMode.acknowledgement(envelopeID: "dbdd0ef3-1543") == #"{"envelope_id":"dbdd0ef3-1543"}"#)
        let reply = SlackSocketMode.acknowledgement(envelopeID: "e1", payload: SlackModal.errorsResponse(["duration": "Enter a duration."]))
        #expect(reply == #"{"envelope_id":"e1","payload":{"errors":{"duration":"Enter a duration."},"response_action":"errors"}}"#)
        // An ephemeral slash-command answer round-trips through a JSON reader.
        let answer = SlackSocketMode.acknowledgement(envelopeID: "e\"2", payload: SlackReply.ephemeral(.text("Acknowledged A-7")))
        let parsed = try InboundJSON.parse(Data(answer.utf8), what: "ack")
        #expect(parsed["envelope_id"] == .string("e\"2"))
        #expect(parsed["payload"]?["response_type"] == .string("ephemeral"))
    }

    @Test func theConnectionURLComesFromAppsConnectionsOpen() throws {
        let url = try SlackSocketMode.connectionURL(from: Data(#"{"ok": true, "url": "wss://wss-primary.slack.com/link/?ticket=12348&app_id=5678"}"#.utf8))
        #expect(url.absoluteString == "wss://wss-primary.slack.com/link/?ticket=12348&app_id=5678")
        #expect(inboundError { try SlackSocketMode.connectionURL(from: Data(#"{"ok": false, "error": "invalid_auth"}"#.utf8)) }
                == .apiError(method: "apps.connections.open", error: "invalid_auth"))
        #expect(inboundError { try SlackSocketMode.connectionURL(from: Data(#"{"ok": true}"#.utf8)) } == .missingField("url"))
        #expect(inboundError { try SlackSocketMode.connectionURL(from: Data(#"{"url": "wss://x"}"#.utf8)) } == .missingField("ok"))
        #expect(inboundError { try SlackSocketMode.connectionURL(from: Data(#"{"ok": true, "url": "https://evil.example/"}"#.utf8)) }
                == .invalidValue(field: "url", problem: "is not a wss:// URL"))
        #expect(inboundError { try SlackSocketMode.connectionURL(from: Data("<html>".utf8)) } == .malformedJSON(what: "apps.connections.open answer"))
        // The ticket in the URL is a credential: no error repeats it.
        let error = inboundError { try SlackSocketMode.connectionURL(from: Data(#"{"ok": true, "url": "ws://x/?ticket=SECRET-TICKET"}"#.utf8)) }
        #expect(error?.description.contains("SECRET-TICKET") == false)
    }

    /// A frame too large (or too broken) to decode still names the envelope to acknowledge: only its top-level id.
    @Test func theEnvelopeIDOfAnUndecodableFrameIsFoundAtTheTopLevelOnly() {
        let padding = String(repeating: "a", count: 100_000)
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"{"envelope_id": "e-1", "payload": {"x": "\#(padding)"#) == "e-1")
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"{"payload": {"envelope_id": "decoy", "s": "\"envelope_id\": \"no\""}, "type": "interactive", "envelope_id":"7b1e-2"}"#) == "7b1e-2")
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"{"payload": ["envelope_id", "x"], "envelope_id": 5}"#) == nil)
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"{"payload": {"envelope_id": "decoy"}}"#) == nil)
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"{"envelope_id": "bad id\nwith\"quotes"}"#) == nil)
        #expect(SocketModeFrame.envelopeID(inUnreadable: "") == nil)
        #expect(SocketModeFrame.envelopeID(inUnreadable: #"["envelope_id", "e"]"#) == nil)
    }
}
