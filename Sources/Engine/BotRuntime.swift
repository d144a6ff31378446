import Chat
import Core
import FactSources
import Foundation
import HTTP
import Logging
import ServiceLifecycle
import Store

/// The running bot as `soc2bot run` starts it: configuration, database, clock and transports in; the chat surfaces
/// (the terminal, Slack, Matrix signed in), the bot (`Bot.make`: engine, scheduler, services) and the inbound
/// routes out, as one list of services for one `ServiceGroup`. The one place the production pieces are wired; the
/// demo and the tests build the same `Bot` through `Bot.make`.
package struct BotRuntime: Sendable {
    package let bot: Bot
    package let surfaces: [any ChatSurface]
    /// Slack (Socket Mode or the HTTP server), Matrix `/sync`, the inbound server, and the task group their handlers'
    /// late answers run in.
    package let inbound: [any Service]

    /// Every service, in the order a group starts them: the bot's (dispatchers first), then the inbound ones. A
    /// group stops them in reverse: nothing new comes in, the late answers are sent, the scheduler's step finishes,
    /// and the dispatchers deliver what was queued meanwhile.
    package var services: [any Service] { bot.services + inbound }

    /// - Parameters:
    ///   - clock: the bot's time (simulated in a demo).
    ///   - wireClock: real time, for the platforms' own deadlines (Slack's 3-second answer budget, Socket Mode's
    ///     hello, Matrix sync's backoff).
    ///   - terminal: a terminal surface to deliver to besides the configured platforms (`run` prints there).
    ///   - demoWorld: the simulated systems for a `demo` source.
    /// - Throws: `Bot.SurfaceError` when a configured platform, secret or key is missing or refused: the bot must not
    ///   run half-connected.
    package static func make(config: BotConfig, database: BotDatabase, clock: any BotClock, wireClock: any BotClock, logger: Logger,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             transport: any HTTPTransport = URLSessionTransport(), terminal: (any ChatSurface)? = nil,
                             demoWorld: (SourceConfig) throws -> (any FactSource)?) async throws -> BotRuntime {
        // The terminal, and Slack and Matrix when configured. Messages routed to a platform without a surface stay
        // queued in the outbox, never dropped.
        let connections = try await Bot.connections(for: config, clock: clock, environment: environment, transport: transport)
        let surfaces = (terminal.map { [$0] } ?? []) + connections.map(\.surface)
        // Manifests may route to platforms this deployment does not connect (the demo routes to all three): said at
        // debug level only, since nothing is wrong.
        let routed = Set(config.teams.flatMap { team in Severity.allCases.flatMap { team.channels.channels(for: $0).keys } } + config.defaultChannels.keys)
        for platform in routed.subtracting(surfaces.map(\.platform)).sorted() {
            logger.debug("\(platform.rawValue) is not configured (chat.\(platform.rawValue)): messages routed there stay queued in the outbox",
                         metadata: ["chat.platform": "\(platform.rawValue)"])
        }
        let anchoring: LedgerAnchoring?
        do {
            anchoring = try LedgerAnchoring.configured(config, database: database, environment: environment)
        } catch {
            throw Bot.SurfaceError(description: "\(config.server?.trustCenterKeyVariable ?? "the trust-center key"): \(error)")
        }
        if config.ledgerAnchor?.checkpoints != nil, anchoring?.signer == nil {
            logger.warning("ledger.anchor.checkpoints is set but the trust-center key is not: anchors record no checkpoint until it is set")
        }
        let sources = Bot.sources(for: config, clock: clock, environment: environment, transport: transport, demoWorld: demoWorld)
        let bot = Bot.make(config: config, database: database, sources: sources, surfaces: surfaces, clock: clock, logger: logger,
                           start: clock.now(), idlePoll: 60, ledgerAnchor: anchoring)
        // The connections' listeners and routes (Matrix /sync; Slack Socket Mode or HTTP mode), and the inbound server when configured.
        let inbound = try bot.inboundServices(connections: connections, environment: environment, wireClock: wireClock, logger: logger)
        return BotRuntime(bot: bot, surfaces: surfaces, inbound: inbound)
    }
}
