import Chat
import Core
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// A clock the test moves by hand.
final class HandClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_772_438_400))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

@Suite("Slack surface over a fake Slack Web API")
struct SlackSurfaceTests {
    let fake = FakeSlackWebAPI(channels: ["C0INFRA"])
    let clock = HandClock()

    func surface(token: String = "xoxb-test-token") -> SlackSurface {
        let clock = self.clock
        return SlackSurface(api: SlackWebAPI(baseURL: URL(string: "https://slack.test/api/")!, token: token, transport: fake), now: { clock.now })
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
        clock.advance(1)
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "dana acknowledged", refs: [ref]))
        clock.advance(1)
        _ = try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "snooze expired", broadcast: true, refs: [ref]))
        #expect(fake.updates.map(\.ts) == [ref.messageID, ref.messageID])
        let replies = fake.messages.filter { $0.threadTS == ref.messageID }
        #expect(replies.map(\.text) == ["dana acknowledged", "snooze expired"])
        #expect(replies.map(\.broadcast) == [false, true])
    }

    @Test func managerDMsOpenTheConversationOnce() async throws {
        let slack = surface()
        _ = try await slack.deliver(delivery(.direct, .direct(.slack, "U024BE7LH")))
        clock.advance(1)
        _ = try await slack.deliver(delivery(.direct, .direct(.slack, "U024BE7LH")))
        #expect(fake.calls.filter { $0 == "conversations.open" }.count == 1)
        #expect(fake.messages.map(\.channel) == ["D024BE7LH", "D024BE7LH"])
    }

    @Test func oneMessagePerSecondPerChannel() async throws {
        let slack = surface()
        _ = try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA")))
        clock.advance(0.25)
        await #expect(throws: DeliveryError.retryAfter(0.75)) { try await slack.deliver(delivery(.post, .channel(.slack, "C0INFRA"))) }
        clock.advance(0.75)
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
        await #expect(throws: DeliveryError.self) { try await slack.deliver(delivery(.update, .channel(.slack, "C0INFRA"), line: "x")) }
    }

    @Test func aThousandResourcesStillPost() async throws {
        #expect(try await surface().deliver(delivery(.post, .channel(.slack, "C0INFRA"), resources: 1_000)) != nil)
        #expect(fake.messages.count == 1)
    }
}
