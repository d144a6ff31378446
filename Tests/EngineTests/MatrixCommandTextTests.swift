import Chat
import Core
import Foundation
import HTTP
import Logging
import Store
import Testing
import TestSupport
@testable import Engine

/// How Matrix text becomes a command: thread replies name their alert implicitly; reaction keys are normalised.
@Suite("Matrix command text")
struct MatrixCommandTextTests {
    @Test(arguments: [
        ("!soc2 ack", "!soc2 ack A-7"),
        ("!soc2 snooze 2d waiting for the vendor", "!soc2 snooze A-7 2d waiting for the vendor"),
        ("!soc2 close rotated the key https://x", "!soc2 close A-7 rotated the key https://x"),
        ("!soc2 note rotated the key https://x", "!soc2 note A-7 rotated the key https://x"),
        ("!soc2 ack A-3", "!soc2 ack A-3"),
        ("!soc2 status", "!soc2 status"),
        ("!soc2 list infra", "!soc2 list infra"),
        ("!soc2", "!soc2"),
    ])
    func threadRepliesNameTheirAlert(_ input: String, _ expected: String) {
        #expect(MatrixInbound.completing(input, alert: AlertID(7)) == expected)
        #expect(MatrixInbound.completing(input, alert: nil) == input)
    }

    @Test func reactionKeysLoseTheirVariationSelectors() {
        #expect(MatrixInbound.normalise("⬆️") == "⬆")
        #expect(MatrixInbound.normalise("✅") == "✅")
        #expect(MatrixInbound.normalise("👀") == "👀")
        #expect(MatrixInbound.normalise("⏰\u{FE0E}") == "⏰")
    }

    @Test func completingNeverCrashesOnArbitraryText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("!soc2 ackA-7snooze \u{FE0F}⬆️ 2dclose\n\t")
        for _ in 0..<5_000 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let completed = MatrixInbound.completing(text, alert: AlertID(Int64.random(in: 1...1_000, using: &generator)))
            #expect(completed.count >= text.split(separator: " ").joined(separator: " ").count)
        }
    }

    /// A transport that must not be used: the events below are all ignored before anything is sent.
    struct NoNetwork: HTTPTransport {
        func send(_ request: HTTPRequest) async throws -> HTTPResponse { Issue.record("unexpected \(request.method) \(request.url)"); return HTTPResponse(status: 500) }
    }

    /// An engine whose team room is `!infra:hs`, dana being `@dana:hs`, with alert A-1 open.
    static func engineWithAnAlert() throws -> AlertEngine {
        var config = EngineFixtures.config()
        config.teams[0].channels = ChannelRoutes(defaults: [.matrix: "!infra:hs"])
        config.people[0].chatIDs[.matrix] = "@dana:hs"
        let engine = try EngineFixtures.engine(config)
        try engine.reconcile(config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: EngineFixtures.t0)
        return engine
    }

    @Test func malformedSyncAnswersAreIgnoredWithoutChangingAnything() async throws {
        let engine = try Self.engineWithAnAlert()
        let inbound = MatrixInbound(client: MatrixClient(homeserver: URL(string: "http://127.0.0.1:9")!, accessToken: "t", transport: NoNetwork()),
                                    userID: "@bot:hs", commands: CommandHandler(engine: engine, clock: VirtualClock(start: EngineFixtures.t0)),
                                    doorbell: Doorbell(), logger: EngineFixtures.logger, wireClock: TestClock())
        let garbage: [[String: Any]] = [
            [:], ["rooms": "nope"], ["rooms": ["join": ["!infra:hs": "nope"]]],
            ["rooms": ["join": ["!infra:hs": ["timeline": ["events": "nope"]]]]],
            ["rooms": ["join": ["!infra:hs": ["timeline": ["events": [
                [:], ["event_id": 5], ["event_id": "$1"], ["event_id": "$2", "sender": "@dana:hs"],
                ["event_id": "$3", "sender": "@dana:hs", "type": "m.room.message", "content": "x"],
                ["event_id": "$4", "sender": "@dana:hs", "type": "m.room.message", "content": ["msgtype": "m.text", "body": 42]],
                ["event_id": "$5", "sender": "@dana:hs", "type": "m.reaction", "content": ["m.relates_to": ["rel_type": "m.annotation", "event_id": 7]]],
                ["event_id": "$6", "sender": "@dana:hs", "type": "m.reaction", "content": ["m.relates_to": ["rel_type": "m.annotation", "event_id": "$nope", "key": "👀"]]],
                ["event_id": "$7", "sender": "@bot:hs", "type": "m.room.message", "content": ["msgtype": "m.text", "body": "!soc2 ack A-1"]],
                ["event_id": "$8", "sender": "@dana:hs", "type": "m.room.message", "content": ["msgtype": "m.notice", "body": "!soc2 ack A-1"]],
            ]]]]]],
            ["account_data": ["events": [["type": "m.direct", "content": ["@dana:hs": "not a list"]]]]],
        ]
        for answer in garbage { try await inbound.process(Self.sync(answer), initial: false) }
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.state == .open)
    }

    /// A crash after an action but before `next_batch` was saved makes the restarted bot see the same events again:
    /// the action is not applied twice (an escalation would DM the next level again).
    @Test func anEventSeenAgainAfterARestartIsNotActedOnTwice() async throws {
        let engine = try Self.engineWithAnAlert()
        let answer: [String: Any] = ["rooms": ["join": ["!infra:hs": ["timeline": ["events": [
            ["event_id": "$e1", "sender": "@dana:hs", "type": "m.room.message", "content": ["msgtype": "m.text", "body": "!soc2 escalate A-1"]],
        ]]]]]]
        func inbound() -> MatrixInbound {
            MatrixInbound(client: MatrixClient(homeserver: URL(string: "http://127.0.0.1:9")!, accessToken: "t", transport: NoNetwork()),
                          userID: "@bot:hs", commands: CommandHandler(engine: engine, clock: VirtualClock(start: EngineFixtures.t0 + 60)),
                          doorbell: Doorbell(), logger: EngineFixtures.logger, wireClock: TestClock())
        }
        func answers() throws -> [OutboxMessage] { try engine.database.read { try $0.allOutbox() }.filter { $0.kind == .reply } }
        try await inbound().process(Self.sync(answer), initial: false)
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.escalationLevel == 1)
        #expect(try answers().map(\.txnID) == ["soc2bot-reply-$e1"], "the answer, queued for the room")

        try await inbound().process(Self.sync(answer), initial: false)
        #expect(try answers().map(\.txnID) == ["soc2bot-reply-$e1"], "already queued under its txnId: not queued again")
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.escalationLevel == 1, "not escalated a second time")
        let actions = try engine.database.read { try $0.evidence(subject: "A-1") }.filter { String(decoding: $0, as: UTF8.self).contains("human_action") }
        #expect(actions.count == 1)
    }

    /// A `/sync` answer as the homeserver sends it: JSON bytes, decoded as the bot decodes them.
    static func sync(_ answer: [String: Any]) throws -> MatrixSyncResponse {
        try MatrixSyncResponse(json: JSONSerialization.data(withJSONObject: answer))
    }

    /// An event that is not an object (no client sends one, but a timeline is other people's data) is skipped alone:
    /// the command beside it in the same room's timeline is still acted on and answered.
    @Test func aMalformedEventDoesNotHideTheCommandBesideIt() async throws {
        let engine = try Self.engineWithAnAlert()
        let inbound = MatrixInbound(client: MatrixClient(homeserver: URL(string: "http://127.0.0.1:9")!, accessToken: "t", transport: NoNetwork()),
                                    userID: "@bot:hs", commands: CommandHandler(engine: engine, clock: VirtualClock(start: EngineFixtures.t0 + 60)),
                                    doorbell: Doorbell(), logger: EngineFixtures.logger, wireClock: TestClock())
        let answer: [String: Any] = ["next_batch": "s2", "rooms": ["join": ["!infra:hs": ["timeline": ["events": [
            5,
            ["event_id": "$e1", "sender": "@dana:hs", "type": "m.room.message", "content": ["msgtype": "m.text", "body": "!soc2 escalate A-1"]],
        ]]]]]]
        try await inbound.process(Self.sync(answer), initial: false)
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.escalationLevel == 1)
        #expect(try engine.database.read { try $0.allOutbox() }.filter { $0.kind == .reply }.map(\.txnID) == ["soc2bot-reply-$e1"])
    }
}
