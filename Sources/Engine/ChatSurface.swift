import Chat
import Core
import Foundation
import Store

/// A chat platform the dispatcher delivers to. Slack and Matrix implement it; the demo's terminal does too.
package protocol ChatSurface: Sendable {
    var platform: ChatPlatform { get }
    /// Delivers one outbox message. For `post`, returns the new message's reference (stored on the alert);
    /// for `update`, `refs` holds the alert's existing messages on this platform to edit.
    /// Throw `DeliveryError.retryAfter` for rate limits, `.permanent` for what retrying cannot fix.
    func deliver(_ message: OutboxMessage, content: ChatMessage, refs: [MessageRef]) async throws -> MessageRef?
}

/// Why a delivery failed.
package enum DeliveryError: Error, Sendable, CustomStringConvertible {
    /// The platform asked us to wait (429 + Retry-After, Slack `ratelimited`, Matrix `M_LIMIT_EXCEEDED`).
    case retryAfter(TimeInterval)
    /// Retrying will not help (channel not found, message too long after degradation): recorded, not retried.
    case permanent(String)

    package var description: String {
        switch self {
        case .retryAfter(let s): "rate limited: retry after \(Int(s)) s"
        case .permanent(let reason): "undeliverable: \(reason)"
        }
    }
}

/// Prints messages as the chat platforms would show them: the demo's chat surface, and `run` for channels
/// routed to `terminal`. One instance per platform it stands in for.
package struct TerminalSurface: ChatSurface {
    package let platform: ChatPlatform
    let renderer: TerminalRenderer
    let write: @Sendable (String) -> Void

    package init(platform: ChatPlatform = .terminal, colour: Bool, write: @escaping @Sendable (String) -> Void) {
        self.platform = platform
        self.renderer = TerminalRenderer(colour: colour)
        self.write = write
    }

    package func deliver(_ message: OutboxMessage, content: ChatMessage, refs: [MessageRef]) async throws -> MessageRef? {
        write(renderer.render(content, destination: message.destination, kind: message.kind.rawValue) + "\n")
        guard message.kind == .post else { return nil }
        return MessageRef(platform: platform, channel: message.destination.address, messageID: "msg-\(message.id)")
    }
}
