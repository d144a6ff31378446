import Chat
import Core
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

@Suite("Slack surface over a fake Slack Web API")
struct SlackSurfaceTests {
    let fake = FakeSlackWebAPI(channels: ["C0INFRA"])
    let clock = TestClock()

    func surface(token: String = "xoxb-test-token") -> SlackSurface {
        SlackSurface(api: SlackWebAPI(baseURL: URL(string: "https://slack.test/api/")!, token: token, transport: fake), clock: clock)
    }

    func delivery(_ kind: DeliveryKind, _ destination: ChatDestination, line: String? = nil, broadcast: Bool = false,
                  resources: Int = 2, refs: [MessageRef] = []) -> ChatDelivery {
        var content = ChatMessage(severity: .high, title: "Buckets encrypted: exports", fields: [.init("Alert", "A-1 · open")],
                                  resources: (0..<resources).map { "bucket-\($0)" }, remediation: "Enable SSE-KMS.",
                                  actions: [ChatAction(kind: .acknowledge, alert: AlertID(1), version: 1)], alert: AlertID(1))
        content.threadLine = line
        content.broadcast = broadcast
        return ChatDelivery(kind: kind, destination: destination, content: content, alert: AlertID(1), txnID: "t", refs: refs)
    }

    @Test func postsEditsInPlaceAndThreadsTheHistory() async throws {
        let slack = surface()
        let ref = try #require(try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))))
        #expect(ref.platform == .slack && ref.channel == "C0INFRA")
        clock.advance(by: 1)
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "dana acknowledged", refs: [ref]))
        clock.advance(by: 1)
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "snooze expired", broadcast: true, refs: [ref]))
        #expect(fake.updates.map(\.ts) == [ref.messageID, ref.messageID])
        let replies = fake.messages.filter { $0.threadTS == ref.messageID }
        #expect(replies.map(\.text) == ["dana acknowledged", "snooze expired"])
        #expect(replies.map(\.broadcast) == [false, true])
    }

    /// An image (the digest's chart) goes through Slack's external upload: a URL for its length, the bytes there
    /// without the bot token, then the share into the channel with the title; nothing is posted as a message.
    @Test func anImageIsUploadedAndSharedInTheChannel() async throws {
        let slack = surface()
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 500))
        let image = ChatImage(filename: "soc2-trend-infra-2026-03-02.png", data: png, width: 900, height: 560, altText: "Open alerts 3 → 1 over 12 weeks")
        let ref = try await slack.deliver(ChatDelivery(kind: .post, destination: .channel(.slack, "C0INFRA"),
                                                       content: ChatMessage(title: "Infra: the last 12 weeks", image: image), alert: nil, txnID: "t"))

        #expect(fake.calls == ["files.getUploadURLExternal", "F00000001", "files.completeUploadExternal"])   // the middle one: the upload URL
        let file = try #require(fake.files.first)
        #expect(ref?.messageID == file.id && file.channel == "C0INFRA")
        #expect(file.bytes == png && file.filename == image.filename)
        #expect(file.title == "Infra: the last 12 weeks" && file.initialComment == "Infra: the last 12 weeks")
        #expect(file.altText == "Open alerts 3 → 1 over 12 weeks")
        #expect(fake.messages.isEmpty)

        // A rate limit on the first step is the platform's wait, as for any message; the next channel message waits a second.
        clock.advance(by: 1)
        fake.failNext([.tooManyRequests(retryAfter: 12)])
        await #expect(throws: DeliveryError.retryAfter(12)) {
            try await slack.deliver(ChatDelivery(kind: .post, destination: .channel(.slack, "C0INFRA"),
                                                 content: ChatMessage(title: "again", image: image), alert: nil, txnID: "u"))
        }
        // Sharing into a channel the bot cannot see is permanent.
        clock.advance(by: 1)
        await #expect(throws: DeliveryError.permanent("Slack files.completeUploadExternal: channel_not_found")) {
            try await slack.deliver(ChatDelivery(kind: .post, destination: .channel(.slack, "C0GONE"),
                                                 content: ChatMessage(title: "nowhere", image: image), alert: nil, txnID: "v"))
        }
    }

    @Test func managerDMsOpenTheConversationOnce() async throws {
        let slack = surface()
        _ = try await slack.deliver(delivery(.direct, .direct(.slack, "U024BE7LH")))
        clock.advance(by: 1)
        _ = try await slack.deliver(delivery(.direct, .direct(.slack, "U024BE7LH")))
        #expect(fake.calls.filter { $0 == "conversations.open" }.count == 1)
        #expect(fake.messages.map(\.channel) == ["D024BE7LH", "D024BE7LH"])
    }

    @Test func oneMessagePerSecondPerChannel() async throws {
        let slack = surface()
        _ = try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA")))
        clock.advance(by: 0.25)
        await #expect(throws: DeliveryError.paced(0.75)) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        clock.advance(by: 0.75)
        #expect(try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) != nil)
    }

    @Test func rateLimitsAndFailuresAreClassified() async throws {
        let slack = surface()
        fake.failNext([.tooManyRequests(retryAfter: 7)])
        await #expect(throws: DeliveryError.retryAfter(7)) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        fake.failNext([.rateLimitedOK])
        await #expect(throws: DeliveryError.retryAfter(30)) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        fake.failNext([.serverError(503)])
        await #expect(throws: SlackAPIError.status(method: "chat.postMessage", 503)) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        fake.failNext([.malformed])
        await #expect(throws: SlackAPIError.malformed(method: "chat.postMessage")) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        await #expect(throws: DeliveryError.permanent("Slack chat.postMessage: channel_not_found")) {
            try await slack.deliver(delivery(.post, .channel(.slack, "C0GONE")))
        }
        await #expect(throws: DeliveryError.permanent("Slack chat.postMessage: invalid_auth")) {
            try await surface(token: "xoxb-revoked").deliver(delivery(.post, .channel(.slack, "C0INFRA")))
        }
    }

    /// An update of an alert with no Slack message (its post failed for good, or the channel is new) posts the alert.
    @Test func anUpdateWithoutAMessagePostsTheAlert() async throws {
        let before = fake.messages.count
        let ref = try await surface().deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "x"))
        #expect(ref?.platform == .slack && ref?.channel == "C0INFRA" && ref?.messageID.isEmpty == false)
        #expect(fake.messages.count == before + 1)
    }

    @Test func aThousandResourcesStillPost() async throws {
        #expect(try await surface().deliver(delivery(.post, .channel(.slack, "C0INFRA"), resources: 1_000)) != nil)
        #expect(fake.messages.count == 1)
    }

    /// Slack refuses blocks the validator let through: the message is posted as plain text rather than lost, its
    /// reference is returned (stored on the alert), and the next edit of it works.
    @Test func blocksSlackRefusesArePostedAsPlainTextAndCanBeEdited() async throws {
        let slack = surface()
        fake.refuseBlocks()
        let ref = try #require(try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))))
        #expect(fake.calls == ["chat.postMessage", "chat.postMessage"])
        let posted = try #require(fake.messages.first)
        #expect(fake.messages.count == 1 && posted.ts == ref.messageID && posted.blocks == 0)
        #expect(posted.text.contains("*Buckets encrypted: exports*") && posted.text.contains("• bucket-1") && posted.text.contains("`/soc2 ack A-1`"))
        clock.advance(by: 1)
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "dana acknowledged", refs: [ref]))
        #expect(fake.updates.map(\.ts) == [ref.messageID])
        let editedMessage = try #require(fake.messages.first)
        let edited = try #require(try JSONSerialization.jsonObject(with: editedMessage.body) as? [String: Any])
        #expect((edited["blocks"] as? [Any])?.isEmpty == false, "the edit carries the alert's blocks again")
    }

    /// An edit whose blocks Slack refuses replaces the message with plain text and removes its old blocks, so no
    /// stale buttons stay behind.
    @Test func anEditSlackRefusesReplacesTheBlocksWithPlainText() async throws {
        let slack = surface()
        let ref = try #require(try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))))
        clock.advance(by: 1)
        fake.refuseBlocks()
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "dana acknowledged", refs: [ref]))
        #expect(fake.updates.map(\.ts) == [ref.messageID])
        let message = try #require(fake.messages.first)
        let body = try #require(try JSONSerialization.jsonObject(with: message.body) as? [String: Any])
        #expect((body["blocks"] as? [Any])?.isEmpty == true)
        #expect((body["text"] as? String)?.contains("*Buckets encrypted: exports*") == true)
    }

    /// A message the validator finds beyond Slack's limits is never sent as blocks: one call, as plain text.
    @Test func aMessageBeyondTheLimitsIsPostedAsPlainTextAtOnce() async throws {
        var bad = delivery(.post, .channel(.slack, "C0INFRA"))
        bad.content.title = ""
        bad.content.severity = nil
        #expect(try await surface().deliver(bad) != nil)
        #expect(fake.calls == ["chat.postMessage"])
        #expect(fake.messages.first?.blocks == 0)
    }
}
