import ArgumentParser
import Chat
import Core
import Engine
import Foundation
import Logging
import ServiceLifecycle

/// `soc2bot run`: the bot as services, until SIGTERM or SIGINT (graceful: each service's current step finishes, the
/// late chat answers are sent, what was queued is delivered).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bot as a service (graceful shutdown on SIGTERM/SIGINT).")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let config = try loadConfig(common.manifests)
        let database = try openDatabase(common.database, readOnly: false)
        let logger = makeLogger()
        let output = Output()
        let clock = systemClock
        let runtime: BotRuntime
        do {
            runtime = try await BotRuntime.make(config: config, database: database, clock: clock, wireClock: clock, logger: logger,
                                                terminal: TerminalSurface(platform: .terminal, colour: false) { output.write($0) },
                                                demoWorld: { try demoWorld(for: $0, manifests: common.manifests, now: clock.now()) })
        } catch {
            standardError("soc2bot run: \(error); nothing was started.")
            throw Exit.errors
        }
        let services = (runtime.services + [Running(logger: logger, services: runtime.services.count)])
            .map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("soc2bot stopped")
    }
}

/// Says the bot runs from inside the service group, so it is only said once signals are handled gracefully.
private struct Running: Service {
    let logger: Logger
    let services: Int
    func run() async throws {
        logger.notice("soc2bot running", metadata: ["services": "\(services)"])
        try? await gracefulShutdown()
    }
}
