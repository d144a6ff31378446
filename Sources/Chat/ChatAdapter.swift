import Core
import Foundation
import HTTP
import Logging
import Sockets

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
    /// The request headers its routes read (the inbound server captures only those it is told).
    var capturedHeaders: [String] { get }
    /// Why `path` is not served when it is one of this platform's routes and the platform is not configured to
    /// serve it (said in the 404); nil for other paths.
    func unserved(path: String) -> String?
}

extension ChatAdapter {
    package var capturedHeaders: [String] { [] }
    package func unserved(path: String) -> String? { nil }
}

/// A platform the bot is connected to.
package protocol ChatConnection: Sendable {
    /// What the platform's dispatcher delivers through.
    var surface: any ChatSurface { get }
    /// The loops through which people reach the bot from this platform (Matrix's `/sync`, Slack's Socket Mode),
    /// handing what they do to `bot`; each runs until its task is cancelled. None by default.
    /// A secret the inbound side needs and the environment lacks throws `ChatSetupError`.
    func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) throws -> [ChatListener]
    /// What the platform posts to the inbound HTTP server (Slack's HTTP mode), handing what people do to `bot`.
    /// None by default.
    func routes(_ bot: any ChatBot, _ context: ChatInboundContext) throws -> [ChatRoute]
}

extension ChatConnection {
    package func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) -> [ChatListener] { [] }
    package func routes(_ bot: any ChatBot, _ context: ChatInboundContext) -> [ChatRoute] { [] }
}

/// What inbound code is given besides the bot.
package struct ChatInboundContext: Sendable {
    /// Real time, for the platform's own deadlines and backoff, even when the bot's clock is simulated.
    package let wireClock: any BotClock
    package let logger: Logger
    /// Where work answered after its request returned runs (a late answer, a click's reply), so graceful shutdown
    /// sends it before exit.
    package let tasks: InboundTasks
    /// The private CA file a TLS-inspecting proxy needs trusted (`SOC2BOT_CA_FILE`), for WebSocket connections;
    /// nil: the system store.
    package let caFile: String?
    /// Where the secrets the inbound side needs are read (Slack's app-level token, its signing secret).
    package let environment: [String: String]

    package init(wireClock: any BotClock, logger: Logger, tasks: InboundTasks = InboundTasks(), caFile: String? = nil, environment: [String: String] = [:]) {
        self.wireClock = wireClock; self.logger = logger; self.tasks = tasks; self.caFile = caFile; self.environment = environment
    }
}

/// Paths of the inbound HTTP server a platform answers (Slack's HTTP mode).
package struct ChatRoute: Sendable {
    /// The exact paths served.
    package let paths: Set<String>
    /// The request headers the handler reads.
    package let capturedHeaders: [String]
    package let handle: @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    package init(paths: Set<String>, capturedHeaders: [String], handle: @escaping @Sendable (HTTPServerRequest) async -> HTTPServerResponse) {
        self.paths = paths; self.capturedHeaders = capturedHeaders; self.handle = handle
    }
}

extension HTTPServerResponse {
    package static func json(_ status: Int, _ value: JSONValue) throws -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: try JSONValue.encoded(value))
    }
    package static func empty(_ status: Int) -> HTTPServerResponse { HTTPServerResponse(status: status, headers: [], body: Data()) }
}

/// A long-running inbound loop; Engine runs each as a `Service` until graceful shutdown.
package struct ChatListener: Sendable {
    /// What it listens to, for logs (`matrix /sync`).
    package let name: String
    package let run: @Sendable () async -> Void
    /// True when two replicas on one database must not listen at once (Matrix `/sync`: one token, one stream):
    /// it then runs only on the leading replica. False for a platform that spreads its events over every
    /// connection (Slack Socket Mode).
    package let oneReplicaAtATime: Bool

    package init(name: String, oneReplicaAtATime: Bool = false, run: @escaping @Sendable () async -> Void) {
        self.name = name; self.oneReplicaAtATime = oneReplicaAtATime; self.run = run
    }
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
