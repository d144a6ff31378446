import Chat
import Core
import Engine
import Foundation
import Store

/// A chat surface that records what the dispatcher delivers and fails on cue (rate limits, outages): the fake
/// every chat-facing test uses until a platform has its own wire-level fake.
package actor RecordingSurface: ChatSurface {
    package nonisolated let platform: ChatPlatform
    package private(set) var delivered: [(kind: DeliveryKind, destination: ChatDestination, alert: AlertID?, line: String?)] = []
    /// Errors to throw for the next deliveries, in order.
    package var failures: [any Error] = []

    /// Direct messages fail (with a retryable error) while set.
    package var failingDirect = false

    package init(platform: ChatPlatform = .terminal) { self.platform = platform }
    package func failNext(_ errors: [any Error]) { failures = errors }
    package func failDirect(_ failing: Bool) { failingDirect = failing }

    package func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        if !failures.isEmpty { throw failures.removeFirst() }
        if failingDirect && delivery.kind == .direct { throw DirectMessagesFailing() }
        delivered.append((delivery.kind, delivery.destination, delivery.alert, delivery.content.threadLine))
        // Like Slack and Matrix: a post, or an update of an alert that has no message here (posted as its message).
        let posts = delivery.kind == .post || (delivery.kind == .update && delivery.refs.isEmpty)
        return posts ? MessageRef(platform: platform, channel: delivery.destination.address, messageID: "m\(delivered.count)") : nil
    }
}

/// The retryable error `RecordingSurface.failDirect(true)` throws for direct messages.
package struct DirectMessagesFailing: Error {}
