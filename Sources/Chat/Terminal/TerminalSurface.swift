import Core
import Foundation

/// Prints messages as the chat platforms would show them: the demo's chat surface, and `run` for channels
/// routed to `terminal`. One instance per platform it stands in for.
package struct TerminalSurface: ChatSurface {
    package let platform: ChatPlatform
    let renderer: TerminalRenderer
    let write: @Sendable (String) -> Void
    /// Where images (the digest's chart) are saved, so a person at the terminal can open them; nil: not saved.
    let imageDirectory: URL?

    package init(platform: ChatPlatform = .terminal, colour: Bool, imageDirectory: URL? = nil, write: @escaping @Sendable (String) -> Void) {
        self.platform = platform
        self.renderer = TerminalRenderer(colour: colour)
        self.imageDirectory = imageDirectory
        self.write = write
    }

    package func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        write(renderer.render(delivery.content, destination: delivery.destination, kind: delivery.kind.rawValue) + "\n")
        if let image = delivery.content.image, let imageDirectory {
            write("  Saved to \(try image.save(in: imageDirectory).path)\n")
        }
        guard delivery.kind == .post || (delivery.kind == .update && delivery.refs.isEmpty) else { return nil }
        return MessageRef(platform: platform, channel: delivery.destination.address, messageID: delivery.txnID)
    }
}
