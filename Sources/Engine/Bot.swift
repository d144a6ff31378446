import Chat
import Checks
import FactSources
import Core
import Foundation
import HTTP
import Logging
import Store

/// The composition root: one plain function builds the running bot from its configuration, database, sources,
/// chat surfaces and clock. The CLI, the demo and the tests all call it.
package struct Bot: Sendable {
    package let engine: AlertEngine
    package let scheduler: ControlScheduler
    package let dispatcher: Dispatcher
    package let commands: CommandHandler
    package let loop: BotLoop
    /// Ring after an inbound action so its messages are delivered at once.
    package let doorbell: Doorbell
    /// Controls a webhook asked to re-run at once.
    package let triggers: ControlTriggers
    /// How each configured source's reads went lately: `integration_health` controls and `/metrics` read it.
    package let sourceHealth: SourceHealthMonitor

    /// - Parameters:
    ///   - start: controls that never ran are due from this moment.
    ///   - leadingWork: timed work run before the scheduler when due at the same moment (a scenario's events).
    ///   - until: the loop returns once the clock passes it (nil: until shutdown).
    ///   - deliverDuringWork: deliver what chat actions queue while controls run (`run`; see `BotLoop`).
    ///   - ledgerAnchor: anchors the ledger head on the manifests' `ledger.anchor` schedule, after the other works.
    package static func make(config: BotConfig, database: BotDatabase, sources: [any FactSource], surfaces: [any ChatSurface],
                             clock: any BotClock, logger: Logger, start: Date, leadingWork: [any TimedWork] = [],
                             until: Date? = nil, idlePoll: TimeInterval = 60, doorbell: Doorbell = Doorbell(), deliverDuringWork: Bool = false,
                             ledgerAnchor: LedgerAnchoring? = nil,
                             afterStep: @escaping @Sendable (Date) async throws -> Void = { _ in }) -> Bot {
        let engine = AlertEngine(config: config, database: database)
        do { try engine.refreshTimers() } catch {
            logger.error("could not recompute alert timers; escalations may be late until alerts change", metadata: ["error": "\(error)"])
        }
        // The systems under watch (the vendor register with the renewals recorded from chat), every read recorded,
        // beside the bot's own facts: access reviews certified and policies attested from chat.
        let withLedger = sources.map { source -> any FactSource in (source as? VendorRegisterSource)?.reading(database) ?? source }
        let sourceHealth = SourceHealthMonitor(now: { clock.now() })
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: watched(withLedger, config: config, monitor: sourceHealth)
                                                                                 + [ReviewSource(database: database),
                                                                                    PolicyAttestationSource(config: config, database: database)],
                                                                               aliases: AccountAliases(people: config.people)),
                                         start: start, logger: logger)
        let dispatcher = Dispatcher(database: database, surfaces: surfaces, clock: clock, logger: logger,
                                    undeliveredTo: Routing.deliveryFailureDestinations(config: config))
        let triggers = ControlTriggers()
        let loop = BotLoop(works: leadingWork + [SchedulerWork(scheduler: scheduler), TriggeredWork(triggers: triggers, scheduler: scheduler),
                                                 EscalatorWork(engine: engine), DigestWork(engine: engine, start: start)]
                               + (ledgerAnchor.map { [LedgerAnchorWork(anchoring: $0, start: start)] } ?? []),
                           dispatcher: dispatcher, clock: clock, logger: logger, until: until, idlePoll: idlePoll, doorbell: doorbell,
                           deliverDuringWork: deliverDuringWork, afterStep: afterStep)
        return Bot(engine: engine, scheduler: scheduler, dispatcher: dispatcher,
                   commands: CommandHandler(engine: engine, clock: clock, triggers: triggers), loop: loop, doorbell: doorbell, triggers: triggers,
                   sourceHealth: sourceHealth)
    }

    /// `sources` with every read recorded, plus the record itself as the `integrations` facts that
    /// `integration_health` controls read.
    package static func watched(_ sources: [any FactSource], config: BotConfig, monitor: SourceHealthMonitor) -> [any FactSource] {
        let kinds = Dictionary(config.sources.map { ($0.id, $0.kind) }, uniquingKeysWith: { a, _ in a })
        return sources.map { MonitoredSource($0, kind: kinds[$0.id] ?? "source", monitor: monitor) }
            + [IntegrationHealthSource(monitor: monitor, watched: sources.map { ($0.id, kinds[$0.id] ?? "source") })]
    }

    /// The fact sources for the configured systems: `demo` sources get `demoWorld`, the others their live client
    /// (`SourceRegistry`; credentials from `environment` by the variable names in the manifests); a kind without a
    /// client in this build, or a client that cannot be set up, becomes an `UnavailableSource` whose checks report
    /// errors; a demo source whose scenario cannot be loaded says why (file:line:column).
    /// Each live client sends through its own `SourceLimiter` (its settings' `max_concurrency`, `requests_per_second`,
    /// and the server's Retry-After) on `transport`, the wire, with the retries above it: one throttled system waits
    /// alone. The clients, their limiters and retries time and wait on `clock`, the bot's.
    package static func sources(for config: BotConfig, clock: any BotClock, environment: [String: String] = ProcessInfo.processInfo.environment,
                                transport: any HTTPTransport = URLSessionTransport(),
                                demoWorld: (SourceConfig) throws -> (any FactSource)?) -> [any FactSource] {
        config.sources.map { source in
            switch source.kind {
            case "demo":
                do {
                    if let world = try demoWorld(source) { return world }
                    return UnavailableSource(config: source, reason: "the demo scenario could not be loaded")
                } catch {
                    // The loader's own words: the scenario file, line and column, and what is wrong there.
                    return UnavailableSource(config: source, reason: "the demo scenario could not be loaded: " + "\(error)".replacingOccurrences(of: "\n", with: "; "))
                }
            case "vendor_register":
                return VendorRegisterSource(id: source.id, vendors: config.vendors, people: config.people)
            default:
                do {
                    let limiter = SourceLimiter(limits: try SourceLimits(source: source.id, settings: source.settings), clock: clock)
                    let limited = RetryingTransport(base: SourceLimitedTransport(base: transport, limiter: limiter), clock: clock)
                    guard let client = try SourceRegistry.client(for: source, environment: environment, transport: limited, clock: clock) else {
                        return UnavailableSource(config: source)
                    }
                    return client
                } catch {
                    return UnavailableSource(config: source, reason: (error as? SourceError).map { reason(of: $0) } ?? "\(error)")
                }
            }
        }
    }

    private static func reason(of error: SourceError) -> String {
        switch error {
        case .unavailable(_, let reason): reason
        }
    }

    /// Why the configured chat platforms cannot be reached.
    package struct SurfaceError: Error, CustomStringConvertible {
        package let description: String
    }

    /// The chat surfaces for the configuration: Slack when `chat.slack` is configured (its bot token read from
    /// the named environment variable), plus `extra` (the terminal). A configured platform whose token is missing
    /// is an error: the bot must not start half-configured and silently queue every message. Slack's pacing runs on
    /// `clock`, the bot's.
    package static func surfaces(for config: BotConfig, clock: any BotClock, environment: [String: String] = ProcessInfo.processInfo.environment,
                                 transport: any HTTPTransport = URLSessionTransport(), extra: [any ChatSurface]) throws -> [any ChatSurface] {
        var surfaces = extra
        if let slack = config.chat.slack {
            guard let token = environment[slack.botTokenVariable], !token.isEmpty else {
                throw SurfaceError(description: "chat.slack is configured but the environment variable \(slack.botTokenVariable) (the bot token) is not set")
            }
            guard let base = URL(string: slack.apiBaseURL ?? "https://slack.com/api/") else {
                throw SurfaceError(description: "chat.slack.api_base_url is not a URL")
            }
            surfaces.append(SlackSurface(api: SlackWebAPI(baseURL: base, token: token, transport: transport), clock: clock))
        }
        return surfaces
    }
}
