import Core

/// The terminal: the demo's chat and `run`'s stdout for channels routed to `terminal`. It needs no connection; its
/// surface (`TerminalSurface`) is made by `run` and the demo, which own the output it writes to.
package struct TerminalAdapter: ChatAdapter {
    package init() {}
    package var platform: ChatPlatform { .terminal }
    package var commandPrefix: String { "/soc2" }
    package func connect(_ config: BotConfig, _ context: ChatContext) async throws -> (any ChatConnection)? { nil }
}
