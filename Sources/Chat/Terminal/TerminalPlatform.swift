import Core

extension ChatPlatform {
    /// The terminal: the demo's chat, and `run`'s standard output for channels routed to `terminal`.
    package static let terminal: ChatPlatform = "terminal"
}

extension TerminalAdapter {
    /// Routed to (`{terminal: "#security"}`), never configured under `chat:`.
    package var kind: ChatPlatformKind {
        ChatPlatformKind(platform: .terminal, configurable: false, summary: "the terminal: the demo's chat and `run`'s standard output")
    }
}
