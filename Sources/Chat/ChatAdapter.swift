import Core
import Foundation
import HTTP
import Logging

/// One chat platform as the rest of the bot sees it: its id, how people type commands there, and how it connects
/// from the manifests' configuration. Each lives in its platform's folder (`Slack/`, `Matrix/`, `Terminal/`) and is
/// listed once, in `ChatAdapters.builtIn` (docs/architecture.md, "Chat adapters").
package protocol ChatAdapter: Sendable {
    /// The platform's id: the `chat.<id>` key in the manifests, routes, outbox destinations.
    var platform: ChatPlatform { get }
    /// What the manifests know of it: the keys `chat.<id>` takes (`SettingSpec`s, checked by `soc2bot validate` and
    /// listed in the manifests reference), its own checks, whether it directs people by e-mail (`directsByEmail`).
    var kind: ChatPlatformKind { get }
    /// How people type commands there (`/soc2`, `!soc2`): help texts and error messages show it.
    var commandPrefix: String { get }
    /// Signs in and checks the platform's secrets when `config` configures it; nil when it does not. A configured
    /// platform whose secret is missing or refused throws `ChatSetupError`: the bot must not run half-connected.
    func connect(_ config: BotConfig, _ context: ChatContext) async throws -> (any ChatConnection)?
}

/// A platform the bot is connected to.
package protocol ChatConnection: Sendable {
    /// What the platform's dispatcher delivers through.
    var surface: any ChatSurface { get }
    /// The loops through which people reach the bot from this platform (Matrix's `/sync`), handing what they do to
    /// `bot`; each runs until its task is cancelled. None by default (Slack's inbound is still built by Engine).
    func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) -> [ChatListener]
}

extension ChatConnection {
    package func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) -> [ChatListener] { [] }
}

/// What inbound code is given besides the bot.
package struct ChatInboundContext: Sendable {
    /// Real time, for the platform's own deadlines and backoff, even when the bot's clock is simulated.
    package let wireClock: any BotClock
    package let logger: Logger

    package init(wireClock: any BotClock, logger: Logger) { self.wireClock = wireClock; self.logger = logger }
}

/// A long-running inbound loop; Engine runs each as a `Service` until graceful shutdown.
package struct ChatListener: Sendable {
    /// What it listens to, for logs (`matrix /sync`).
    package let name: String
    package let run: @Sendable () async -> Void

    package init(name: String, run: @escaping @Sendable () async -> Void) { self.name = name; self.run = run }
}

/// What the composition root gives an adapter to connect with.
package struct ChatContext: Sendable {
    /// The bot's clock (a surface's pacing runs on it).
    package let clock: any BotClock
    /// Where the secrets the manifests name are read.
    package let environment: [String: String]
    package let transport: any HTTPTransport

    package init(clock: any BotClock, environment: [String: String], transport: any HTTPTransport) {
        self.clock = clock; self.environment = environment; self.transport = transport
    }
}

/// Why a configured chat platform cannot be reached (said to the operator before the bot starts).
package struct ChatSetupError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(description: String) { self.description = description }
}
