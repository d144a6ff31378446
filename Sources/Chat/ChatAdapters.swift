import Core

/// The chat platforms the bot knows: the one list a new platform is added to.
package enum ChatAdapters {
    package static let builtIn: [any ChatAdapter] = [SlackAdapter(), MatrixAdapter(), TerminalAdapter()]

    package static func adapter(for platform: ChatPlatform) -> (any ChatAdapter)? {
        builtIn.first { $0.platform == platform }
    }

    /// The prefix commands are typed with on `platform` (`/soc2` where no adapter says otherwise).
    package static func commandPrefix(for platform: ChatPlatform) -> String {
        adapter(for: platform)?.commandPrefix ?? "/soc2"
    }

    /// The request headers the platforms' routes read.
    package static var capturedHeaders: [String] { builtIn.flatMap(\.capturedHeaders) }

    /// Why `path`, one of a platform's routes, is not served (the platform is not configured to serve it).
    package static func unserved(path: String) -> String? {
        builtIn.lazy.compactMap { $0.unserved(path: path) }.first
    }

    /// Connects every platform `config` configures, in this list's order.
    package static func connect(_ config: BotConfig, _ context: ChatContext) async throws -> [any ChatConnection] {
        var connections: [any ChatConnection] = []
        for adapter in builtIn {
            if let connection = try await adapter.connect(config, context) { connections.append(connection) }
        }
        return connections
    }
}
