import Core
import Foundation

/// One message to deliver, as a surface sees it: what to do, where, the content, and the alert it belongs to.
package struct ChatDelivery: Sendable, Equatable {
    package var kind: DeliveryKind
    package var destination: ChatDestination
    package var content: ChatMessage
    package var alert: AlertID?
    /// Unique per message, fixed before the first attempt and the same on every retry (Matrix txnId).
    package var txnID: String
    /// For `update`: the alert's existing messages on this platform, to edit.
    package var refs: [MessageRef]

    package init(kind: DeliveryKind, destination: ChatDestination, content: ChatMessage, alert: AlertID?, txnID: String, refs: [MessageRef] = []) {
        self.kind = kind; self.destination = destination; self.content = content; self.alert = alert; self.txnID = txnID; self.refs = refs
    }
}

/// A chat platform the dispatcher delivers to: Slack and Matrix, and the terminal.
package protocol ChatSurface: Sendable {
    var platform: ChatPlatform { get }
    /// Delivers one message. For `post`, and for an `update` of an alert with no message on this platform (posted
    /// as the alert's message), returns the new message's reference (stored on the alert).
    /// Throw `DeliveryError.retryAfter` for rate limits, `.paced` for the surface's own pacing, `.permanent` for what retrying cannot fix; any other
    /// error is retried with backoff.
    func deliver(_ delivery: ChatDelivery) async throws -> MessageRef?
}

/// Why a delivery failed.
package enum DeliveryError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The platform asked us to wait (429 + Retry-After, Slack `ratelimited`, Matrix `M_LIMIT_EXCEEDED`).
    case retryAfter(TimeInterval)
    /// Retrying will not help (channel not found, token revoked): recorded, not retried.
    case permanent(String)
    /// The surface's own pacing (Slack: one message per channel per second) holds the destination this long: not a
    /// failure, the message waits its turn.
    case paced(TimeInterval)
    /// The destination cannot take the message yet (the bot is not in the Matrix room and cannot join it yet: not
    /// invited so far): retried with backoff, and given up for good, with this reason, once the message has waited
    /// `Dispatcher.notReadyLimit`.
    case notReady(String)

    package var description: String {
        switch self {
        case .retryAfter(let s): "rate limited: retry after \(DurationText.wholeSeconds(s)) s"
        case .paced(let s): "paced: next message to this destination in \(String(format: "%.1f", s)) s"
        case .permanent(let reason): "undeliverable: \(reason)"
        case .notReady(let reason): "not deliverable yet: \(reason)"
        }
    }
}
