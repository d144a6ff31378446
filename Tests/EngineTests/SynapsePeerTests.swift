import Chat
import Foundation
import Testing
import TestSupport

/// The Synapse peer scripts/test starts, driven through the test client the Matrix tests use: people register,
/// share a room, post, react and thread, and read it all back from the server. Fails (never skips) when the tests
/// run without scripts/test.
@Suite("Synapse test peer")
struct SynapsePeerTests {
    @Test func twoPeopleShareARoomAndReadBackMessagesReactionsAndThreads() async throws {
        // Given two people, one of whom opens a room and invites the other, who joins
        let server = try SynapseTestServer()
        let alice = try await server.register(localpart: "alice")
        let bob = try await server.register(localpart: "bob")
        #expect(alice.userID == server.userID(alice.localpart))
        #expect(alice.userID.hasPrefix("@alice-") && alice.userID.hasSuffix(":localhost"))
        let room = try await alice.createRoom(name: "soc2-infra")
        #expect(room.hasPrefix("!"))
        try await alice.invite(bob.userID, to: room)
        try await bob.join(room)

        // When Alice posts, Bob reacts to it and answers in its thread
        let message = try await alice.sendText("MFA is off for okta:dana", to: room)
        let reaction = try await bob.react(to: message, key: "✅", in: room)
        let reply = try await bob.sendText("!soc2 ack", to: room, thread: message)

        // Then the room's history holds all three, newest first, as sent
        let events = try await alice.messages(in: room, limit: 20)
        #expect(events.prefix(3).map(\.eventID) == [reply, reaction, message])
        let posted = try #require(events.first { $0.eventID == message })
        #expect(posted.type == "m.room.message" && posted.msgtype == "m.text" && posted.sender == alice.userID)
        #expect(posted.body == "MFA is off for okta:dana")
        let reacted = try #require(events.first { $0.eventID == reaction })
        #expect(reacted.type == "m.reaction" && reacted.sender == bob.userID)
        #expect(reacted.relatesTo?["rel_type"]?.stringValue == "m.annotation")
        #expect(reacted.relatesTo?["event_id"]?.stringValue == message)
        #expect(reacted.relatesTo?["key"]?.stringValue == "✅")
        #expect(events.contains { $0.type == "m.room.member" && $0.json["state_key"]?.stringValue == bob.userID })
        // and one event reads back by id, and the server relates the reaction and the reply to the message
        // (`age` and the sender-only `unsigned.transaction_id` differ between reads; the rest is the event)
        let byID = try await bob.event(message, in: room)
        #expect(byID.eventID == message && byID.sender == alice.userID && byID.content == posted.content)
        #expect(byID.json["unsigned"]?["m.relations"]?["m.thread"]?["latest_event"]?["event_id"]?.stringValue == reply)
        #expect(try await alice.relations(of: message, in: room, relType: "m.annotation").map(\.eventID) == [reaction])
        let threaded = try await alice.relations(of: message, in: room, relType: "m.thread")
        #expect(threaded.map(\.eventID) == [reply])
        #expect(threaded.first?.relatesTo?["is_falling_back"] == .bool(true))
    }

    @Test func registeringATakenNameFailsWithUserInUse() async throws {
        let server = try SynapseTestServer()
        let first = try await server.register(localpart: "taken")
        let error = await #expect(throws: SynapseTestError.self) {
            try await server.register(exactLocalpart: first.localpart)
        }
        #expect(error?.errcode == "M_USER_IN_USE")
        #expect(error?.description.contains("POST /_synapse/admin/v1/register: HTTP 400 M_USER_IN_USE") == true)
    }

    @Test func aDirectRoomShowsAsAnInviteInSyncAndMDirectRoundTrips() async throws {
        // Given a bot-like user opening a DM with a manager, and recording it in m.direct
        let server = try SynapseTestServer()
        let bot = try await server.register(localpart: "bot")
        let manager = try await server.register(localpart: "manager")
        let dm = try await bot.createRoom(invite: [manager.userID], isDirect: true)
        #expect(try await bot.accountData("m.direct") == nil)
        try await bot.setAccountData("m.direct", .object([manager.userID: .array([.string(dm)])]))

        // Then the manager's sync shows the invite, marked direct, and m.direct reads back
        let sync = try await manager.sync()
        #expect(sync["next_batch"]?.stringValue?.isEmpty == false)
        guard case .array(let inviteState) = sync["rooms"]?["invite"]?[dm]?["invite_state"]?["events"] else {
            Issue.record("no invite to \(dm) in the manager's sync")
            return
        }
        #expect(inviteState.contains { $0["type"]?.stringValue == "m.room.member" && $0["content"]?["is_direct"] == .bool(true) })
        #expect(try await bot.accountData("m.direct") == .object([manager.userID: .array([.string(dm)])]))
        try await manager.join(dm)
        #expect(try await manager.messages(in: dm).contains { $0.type == "m.room.member" && $0.sender == manager.userID })
    }

    @Test func withoutScriptsTestTheServerIsMissingWithAClearError() {
        #expect(throws: SynapseTestError.notConfigured(variable: "SOC2BOT_TEST_SYNAPSE_URL")) {
            try SynapseTestServer(environment: [:])
        }
        #expect(SynapseTestError.notConfigured(variable: "SOC2BOT_TEST_SYNAPSE_URL").description
            == "SOC2BOT_TEST_SYNAPSE_URL is not set: run the tests with scripts/test, which starts Synapse")
    }
}
