import ArgumentParser
import Chat
import Core
import FactSources
import Engine
import Foundation
import ServiceLifecycle

/// `soc2bot run`: the bot as a service, until SIGTERM or SIGINT (graceful: the current step finishes).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bot as a service (graceful shutdown on SIGTERM/SIGINT).")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let config = try loadConfig(common.manifests)
        let database = try openDatabase(common.database, readOnly: false)
        let logger = makeLogger()
        let output = Output()
        // The terminal, and Slack and Matrix when configured. Messages routed to a platform without a surface stay
        // queued in the outbox, never dropped.
        var surfaces: [any ChatSurface]
        let matrix: MatrixSession?
        do {
            surfaces = try Bot.surfaces(for: config, clock: systemClock, extra: [TerminalSurface(platform: .terminal, colour: false) { output.write($0) }])
            matrix = try await Bot.matrixSession(for: config)
            if let matrix { surfaces.append(MatrixSurface(client: matrix.client, userID: matrix.userID)) }
        } catch {
            standardError("soc2bot run: \(error); nothing was started.")
            throw Exit.errors
        }
        // Manifests may route to platforms this deployment does not connect (the demo routes to all three): said at
        // debug level only, since nothing is wrong.
        let routed = Set(config.teams.flatMap { team in Severity.allCases.flatMap { team.channels.channels(for: $0).keys } } + config.defaultChannels.keys)
        for platform in routed.subtracting(surfaces.map(\.platform)).sorted() {
            logger.debug("\(platform.rawValue) is not configured (chat.\(platform.rawValue)): messages routed there stay queued in the outbox",
                         metadata: ["chat.platform": "\(platform.rawValue)"])
        }
        let clock = systemClock
        let sources = Bot.sources(for: config, clock: clock) { try demoWorld(for: $0, manifests: common.manifests, now: clock.now()) }
        let anchoring: LedgerAnchoring?
        do {
            anchoring = try LedgerAnchoring.configured(config, database: database, environment: ProcessInfo.processInfo.environment)
        } catch {
            standardError("soc2bot run: \(config.server?.trustCenterKeyVariable ?? "the trust-center key"): \(error); nothing was started.")
            throw Exit.errors
        }
        if config.ledgerAnchor?.checkpoints != nil, anchoring?.signer == nil {
            logger.warning("ledger.anchor.checkpoints is set but the trust-center key is not: anchors record no checkpoint until it is set")
        }
        let bot = Bot.make(config: config, database: database, sources: sources, surfaces: surfaces, clock: clock, logger: logger,
                           start: clock.now(), idlePoll: 60, deliverDuringWork: true, ledgerAnchor: anchoring)
        // Slack commands, clicks and forms (Socket Mode or HTTP mode), and the inbound server when configured.
        let inbound: [any Service]
        do {
            inbound = try bot.inboundServices(matrix: matrix, wireClock: clock, logger: logger)
        } catch {
            standardError("soc2bot run: \(error); nothing was started.")
            throw Exit.errors
        }
        let services = ([bot.loop] + inbound).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("soc2bot stopped")
    }
}
