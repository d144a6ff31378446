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
    /// The transaction id of each delivery, in the order of `delivered` (Matrix's txnId): a resend shows the same one.
    package private(set) var txnIDs: [String] = []

    /// Set by `holdNext()`: the next delivery is recorded, then hangs until `release()`.
    private var holding = false
    private var held: CheckedContinuation<Void, Never>?
    /// Waiters of `waitUntilHeld()` and `waitForDeliveries(_:)`: woken when their condition holds.
    private var heldWaiters: [CheckedContinuation<Void, Never>] = []
    private var countWaiters: [(count: Int, waiter: CheckedContinuation<Void, Never>)] = []

    /// The real surface each delivery is passed on to after it is recorded (its answer returned), if any.
    private let forwardingTo: (any ChatSurface)?

    package init(platform: ChatPlatform = .terminal) { self.platform = platform; forwardingTo = nil }

    /// Records each delivery, then delivers it through `surface` (a real platform) and answers with its answer: a
    /// real send that `holdNext()` can leave unrecorded, as a process stopped right after it would.
    package init(forwardingTo surface: any ChatSurface) { platform = surface.platform; forwardingTo = surface }
    package func failNext(_ errors: [any Error]) { failures = errors }
    package func failDirect(_ failing: Bool) { failingDirect = failing }

    /// The next delivery is recorded as sent, then hangs until `release()`: a process paused (or killed) between the
    /// platform's answer and recording it.
    package func holdNext() { holding = true }

    /// Ends the hang of the held delivery: it returns as if the platform had just answered.
    package func release() {
        held?.resume()
        held = nil
    }

    /// Returns once a delivery held by `holdNext()` was recorded and hangs.
    package func waitUntilHeld() async {
        if held != nil { return }
        await withCheckedContinuation { heldWaiters.append($0) }
    }

    /// Returns once at least `count` deliveries were recorded.
    package func waitForDeliveries(_ count: Int) async {
        if delivered.count >= count { return }
        await withCheckedContinuation { countWaiters.append((count, $0)) }
    }

    package func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        if !failures.isEmpty { throw failures.removeFirst() }
        if failingDirect && delivery.kind == .direct { throw DirectMessagesFailing() }
        delivered.append((delivery.kind, delivery.destination, delivery.alert, delivery.content.threadLine))
        txnIDs.append(delivery.txnID)
        let reached = countWaiters.filter { $0.count <= delivered.count }
        countWaiters.removeAll { $0.count <= delivered.count }
        for waiter in reached { waiter.waiter.resume() }
        // Like Slack and Matrix: a post, or an update of an alert that has no message here (posted as its message).
        let posts = delivery.kind == .post || (delivery.kind == .update && delivery.refs.isEmpty)
        var ref = posts ? MessageRef(platform: platform, channel: delivery.destination.address, messageID: "m\(delivered.count)") : nil
        if let forwardingTo { ref = try await forwardingTo.deliver(delivery) }
        if holding {
            holding = false
            await withCheckedContinuation { continuation in
                held = continuation
                for waiter in heldWaiters { waiter.resume() }
                heldWaiters = []
            }
        }
        return ref
    }
}

/// The retryable error `RecordingSurface.failDirect(true)` throws for direct messages.
package struct DirectMessagesFailing: Error {}
