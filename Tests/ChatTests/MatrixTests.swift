import Core
import Foundation
import HTTP
import Testing
@testable import Chat

/// Matrix rendering and the client's handling of the homeserver's answers (the end-to-end tests run on Synapse).
@Suite("Matrix rendering and client")
struct MatrixTests {
    static let alert = ChatMessage(severity: .critical, title: "Leaver <still> active & \"admin\"",
                                   fields: [.init("Control", "offboarding-sla (CC6.2)")],
                                   resources: (1...40).map { "github:user\($0)" }, remediation: "Remove <b>access</b>",
                                   actions: [ChatAction(kind: .acknowledge, alert: AlertID(3), version: 1),
                                             ChatAction(kind: .close, alert: AlertID(3), version: 1)],
                                   alert: AlertID(3))

    @Test func alertsAreNoticesWithEscapedHTMLAndACutResourceList() throws {
        let content = MatrixRenderer.content(Self.alert)
        #expect(content["msgtype"]?.stringValue == "m.notice")
        #expect(content["format"]?.stringValue == "org.matrix.custom.html")
        let html = try #require(content["formatted_body"]?.stringValue)
        #expect(html.contains("Leaver &lt;still&gt; active &amp; &quot;admin&quot;"))
        #expect(!html.contains("<b>access</b>"), "text is escaped, never injected as markup")
        #expect(html.contains("…and 15 more resources"))
        let body = try #require(content["body"]?.stringValue)
        #expect(body.contains("[CRITICAL] Leaver <still> active"))
        #expect(body.contains("!soc2 ack") && body.contains("👀 acknowledge"))
        #expect(try JSONValue.encoded(content).count < 65_536)
    }

    @Test func hugeTextsStayUnderTheEventSizeLimit() throws {
        var message = Self.alert
        message.title = String(repeating: "x", count: 100_000)
        message.resources = (1...10_000).map { "resource-\($0)-" + String(repeating: "y", count: 5_000) }
        message.fields = (1...10).map { .init("Field \($0)", String(repeating: "<z>", count: 10_000)) }
        message.body = String(repeating: "b", count: 50_000)
        let content = MatrixRenderer.content(message)
        #expect(try JSONValue.encoded(content).count <= MatrixRenderer.maxContentBytes)
        #expect(content["body"]?.stringValue?.contains("more resources") == true)
    }

    @Test func editsTargetTheOriginalWithTheFullNewContent() {
        let content = MatrixRenderer.content(Self.alert)
        let edit = MatrixSurface.edit(of: "$original", to: content)
        #expect(edit["m.relates_to"]?["rel_type"]?.stringValue == "m.replace")
        #expect(edit["m.relates_to"]?["event_id"]?.stringValue == "$original")
        #expect(edit["m.new_content"] == content)
        #expect(edit["body"]?.stringValue?.hasPrefix("* ") == true)
        let reply = MatrixSurface.threadReply("dana acknowledged", root: "$original")
        #expect(reply["m.relates_to"]?["rel_type"]?.stringValue == "m.thread")
        #expect(reply["m.relates_to"]?["event_id"]?.stringValue == "$original")
    }

    /// A homeserver that answers every request with the given status, headers and body.
    struct Answering: HTTPTransport {
        let status: Int, headers: [String: String], body: String
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
        }
    }

    static func client(_ status: Int, headers: [String: String] = [:], _ body: String) -> MatrixClient {
        MatrixClient(homeserver: URL(string: "http://127.0.0.1:9")!, accessToken: "syt_secret", transport: Answering(status: status, headers: headers, body: body))
    }

    @Test func rateLimitsPreferRetryAfterThenRetryAfterMs() async throws {
        let limited = #"{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2500}"#
        await #expect(throws: DeliveryError.retryAfter(7)) {
            try await Self.client(429, headers: ["Retry-After": "7"], limited).send(room: "!r:hs", type: "m.room.message", txnID: "t", content: .object([:]))
        }
        await #expect(throws: DeliveryError.retryAfter(2.5)) {
            try await Self.client(429, limited).send(room: "!r:hs", type: "m.room.message", txnID: "t", content: .object([:]))
        }
    }

    @Test func aRevokedTokenIsPermanentAndGarbageIsRetried() async throws {
        await #expect(throws: DeliveryError.permanent("Matrix rooms: M_UNKNOWN_TOKEN (HTTP 401)")) {
            try await Self.client(401, #"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."}"#)
                .send(room: "!r:hs", type: "m.room.message", txnID: "t", content: .object([:]))
        }
        await #expect(throws: MatrixAPIError.malformed(what: "rooms")) {
            try await Self.client(200, "<html>proxy error</html>").send(room: "!r:hs", type: "m.room.message", txnID: "t", content: .object([:]))
        }
        await #expect(throws: MatrixAPIError.failed(502, errcode: "", what: "sync")) {
            try await Self.client(502, "bad gateway").sync(since: nil, filter: nil, timeout: 0)
        }
    }

    /// A `/sync` answer in the client-server API's shape decodes into typed events; what is malformed is skipped
    /// (no `event_id`, not an object) or kept with its fields nil (for the handler to ignore), never a failed batch.
    @Test func aSyncAnswerDecodesIntoTypedEvents() throws {
        let answer = #"""
        {"next_batch":"s72_9","account_data":{"events":[{"type":"m.direct","content":{"@sam:hs":["!dm:hs"],"@eve:hs":"junk"}},
          {"type":"m.push_rules","content":{}}]},
         "rooms":{"invite":{"!new:hs":{"invite_state":{"events":[]}}},
          "join":{"!infra:hs":{"timeline":{"events":[
            {"event_id":"$t","sender":"@dana:hs","type":"m.room.message","origin_server_ts":1765000000000,
             "content":{"msgtype":"m.text","body":"!soc2 ack","m.relates_to":{"rel_type":"m.thread","event_id":"$root","is_falling_back":true}}},
            {"event_id":"$r","sender":"@dana:hs","type":"m.reaction","content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$root","key":"👀"}}},
            {"sender":"@dana:hs","type":"m.room.message"}, 7,
            {"event_id":"$bad","sender":5,"type":"m.room.message","content":"x"}]}},
           "!quiet:hs":{"timeline":"nope"}}}}
        """#
        let sync = try MatrixSyncResponse(json: Data(answer.utf8))
        #expect(sync.nextBatch == "s72_9")
        #expect(sync.directRooms == ["!dm:hs"])
        #expect(sync.invitedRooms == ["!new:hs"])
        #expect(sync.joinedRooms["!quiet:hs"] == [])
        #expect(sync.joinedRooms["!infra:hs"] == [
            MatrixRoomEvent(eventID: "$t", sender: "@dana:hs", type: "m.room.message", originServerTS: 1_765_000_000_000,
                            content: .init(msgtype: "m.text", body: "!soc2 ack", relation: .init(type: "m.thread", eventID: "$root"))),
            MatrixRoomEvent(eventID: "$r", sender: "@dana:hs", type: "m.reaction",
                            content: .init(relation: .init(type: "m.annotation", eventID: "$root", key: "👀"))),
            MatrixRoomEvent(eventID: "$bad", sender: nil, type: "m.room.message", content: nil),
        ])
        #expect(throws: (any Error).self) { try MatrixSyncResponse(json: Data("[]".utf8)) }
    }
}
