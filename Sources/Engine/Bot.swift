import Chat
import Checks
import FactSources
import Core
import Foundation
import HTTP
import Logging
import ServiceLifecycle
import Store

/// The composition root of the engine: one plain function builds the bot from its configuration, database, sources,
/// chat surfaces and clock — its engine, scheduler, command handler, the services that run it in production
/// (`services`) and the deterministic driver over the same works (`loop`). `BotRuntime` adds the live connections
/// (surfaces, sign-ins, inbound routes) for `run`; the demo, `check` and the tests build on this one.
package struct Bot: Sendable {
    package let engine: AlertEngine
    package let scheduler: ControlScheduler
    /// One per chat platform, in platform order: each its own `DeliveryService` in production.
    package let dispatchers: [Dispatcher]
    package let commands: CommandHandler
    /// The services of the running bot (`run`): one dispatcher per platform, then the escalator, the digest, the
    /// ledger anchors and the scheduler, each sleeping on the clock until its own due time or a doorbell ring. A
    /// service group shuts them down in reverse: the scheduler's step finishes first, the dispatchers deliver last.
    package let services: [any Service]
    /// The same works and dispatchers driven as one deterministic loop (the demo, the tests).
    package private(set) var loop: BotLoop
    /// Ring after an inbound action so its messages are delivered at once.
    package let doorbell: Doorbell
    /// Controls a webhook asked to re-run at once.
    package let triggers: ControlTriggers
    /// How each configured source's reads went lately: `integration_health` controls and `/metrics` read it.
    package let sourceHealth: SourceHealthMonitor
    /// The timed works in the driver's order: scheduler, triggered runs, escalator, digest, ledger anchors.
    package let works: [any TimedWork]
    /// Replicas on a shared database (PostgreSQL): this replica's leadership, which the scheduler, escalator, digest,
    /// ledger anchors and Matrix `/sync` run under. Nil on SQLite: one process, always the leader, nothing checked.
    package let leader: LeaderGate?

    /// - Parameters:
    ///   - start: controls that never ran are due from this moment.
    ///   - until: the driver (`loop`) returns once the clock passes it (nil: until shutdown).
    ///   - idlePoll: the longest sleep of the driver and the services between checks.
    ///   - ledgerAnchor: anchors the ledger head on the manifests' `ledger.anchor` schedule, after the other works.
    ///   - leaderRetry: on a shared database, seconds between a follower's attempts to lead (`database.leadership`).
    package static func make(config: BotConfig, database: BotDatabase, sources: [any FactSource], surfaces: [any ChatSurface],
                             clock: any BotClock, logger: Logger, start: Date,
                             until: Date? = nil, idlePoll: TimeInterval = 60, doorbell: Doorbell = Doorbell(),
                             ledgerAnchor: LedgerAnchoring? = nil, leaderRetry: TimeInterval = StoreLeadershipDefaults.retryInterval,
                             afterStep: @escaping @Sendable (Date) async throws -> Void = { _ in }) -> Bot {
        let engine = AlertEngine(config: config, database: database)
        let leadership = database.leadership(retryInterval: leaderRetry)
        let leader = leadership.isSole ? nil : LeaderGate(leadership: leadership, logger: logger)
        do { try engine.refreshTimers() } catch {
            logger.error("could not recompute alert timers; escalations may be late until alerts change", metadata: ["error": "\(error)"])
        }
        let sourceHealth = SourceHealthMonitor(now: { clock.now() })
        let scheduler = ControlScheduler(engine: engine, runner: controlRunner(config: config, database: database, sources: sources, monitor: sourceHealth),
                                         start: start, logger: logger)
        let undeliveredTo = Routing.deliveryFailureDestinations(config: config)
        let dispatchers = Set(surfaces.map(\.platform)).sorted().map { platform in
            Dispatcher(database: database, surfaces: surfaces, delivering: platform, clock: clock, logger: logger, undeliveredTo: undeliveredTo,
                       doorbell: doorbell)
        }
        let triggers = ControlTriggers()
        let scheduling: [any TimedWork] = [SchedulerWork(scheduler: scheduler), TriggeredWork(triggers: triggers, scheduler: scheduler)]
        let escalating: [any TimedWork] = [EscalatorWork(engine: engine)]
        let digest: [any TimedWork] = [DigestWork(engine: engine, start: start)]
        let anchoring: [any TimedWork] = ledgerAnchor.map { [LedgerAnchorWork(anchoring: $0, start: start)] } ?? []
        func service(_ name: String, _ works: [any TimedWork], listensFor: BotEvents, causes: BotEvents) -> TimedService {
            TimedService(name: name, works: works, clock: clock, doorbell: doorbell, listensFor: listensFor, causes: causes, idlePoll: idlePoll,
                         leader: leader, logger: logger)
        }
        // Listed in dependency order: a group shuts down in reverse, so the scheduler stops first and the dispatchers
        // last, and the leadership (replicas only) is given up after everything that ran under it.
        var services: [any Service] = leader.map { [LeadershipService(gate: $0, clock: clock)] } ?? []
        if let changes = database.changes {    // other replicas queue messages too: their notifications ring the dispatchers
            services.append(StoreChangeService(changes: changes, doorbell: doorbell, clock: clock, logger: logger))
        }
        services += dispatchers.map { DeliveryService(dispatcher: $0, clock: clock, doorbell: doorbell, idlePoll: idlePoll) }
        services.append(service("escalator", escalating, listensFor: .timers, causes: .outbox))
        if config.digest != nil { services.append(service("digest", digest, listensFor: [], causes: .outbox)) }
        if !anchoring.isEmpty { services.append(service("ledger-anchor", anchoring, listensFor: [], causes: [])) }
        services.append(service("scheduler", scheduling, listensFor: .runs, causes: [.outbox, .timers]))
        let works = scheduling + escalating + digest + anchoring
        let loop = BotLoop(works: works, dispatchers: dispatchers, clock: clock, logger: logger, until: until, idlePoll: idlePoll,
                           doorbell: doorbell, leader: leader, afterStep: afterStep)
        return Bot(engine: engine, scheduler: scheduler, dispatchers: dispatchers,
                   commands: CommandHandler(engine: engine, clock: clock, triggers: triggers), services: services, loop: loop,
                   doorbell: doorbell, triggers: triggers, sourceHealth: sourceHealth, works: works, leader: leader)
    }

    /// This bot driven by a deterministic loop with `leading` works run first when due at the same moment (a
    /// scenario's events), stopping at `until`; `afterStep` is called after each step (the demo saves its clock).
    package func driven(leading: [any TimedWork], until: Date?, idlePoll: TimeInterval,
                        afterStep: @escaping @Sendable (Date) async throws -> Void) -> Bot {
        var bot = self
        bot.loop = BotLoop(works: leading + works, dispatchers: dispatchers, clock: loop.clock, logger: loop.logger, until: until,
                           idlePoll: idlePoll, doorbell: doorbell, leader: leader, afterStep: afterStep)
        return bot
    }

    /// Delivers what is due on every platform, in order (what a command typed at the demo's prompt queued).
    package func deliver() async throws { try await loop.deliver() }

    /// The control runner over `sources` with every read recorded (`integration_health`), and the bot's own facts
    /// from `database` when there is one: the vendor register with the renewals recorded from chat, access reviews
    /// certified and policies attested from chat. The scheduler and `check` use it.
    package static func controlRunner(config: BotConfig, database: BotDatabase?, sources: [any FactSource], monitor: SourceHealthMonitor) -> ControlRunner {
        guard let database else { return ControlRunner(sources: watched(sources, config: config, monitor: monitor), aliases: AccountAliases(people: config.people)) }
        let withLedger = sources.map { source -> any FactSource in (source as? VendorRegisterSource)?.reading(database) ?? source }
        return ControlRunner(sources: watched(withLedger, config: config, monitor: monitor)
                                 + [ReviewSource(database: database), PolicyAttestationSource(config: config, database: database)],
                             aliases: AccountAliases(people: config.people))
    }

    /// What `soc2bot check` runs the controls with: the configured sources (`sources(for:)`) under the scheduler's
    /// runner (`controlRunner`), every read recorded on `clock`, and the bot's own facts when `database` is there.
    package static func checkRunner(config: BotConfig, database: BotDatabase?, clock: any BotClock,
                                    environment: [String: String] = ProcessInfo.processInfo.environment,
                                    transport: any HTTPTransport = URLSessionTransport(),
                                    demoWorld: (SourceConfig) throws -> (any FactSource)?) -> ControlRunner {
        controlRunner(config: config, database: database,
                      sources: sources(for: config, clock: clock, environment: environment, transport: transport, demoWorld: demoWorld),
                      monitor: SourceHealthMonitor(now: { clock.now() }))
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
                    let limiter = SourceLimiter(limits: try SourceLimits(source: source.id, settings: source.settings,
                                                                            specs: SourceRegistry.kind(named: source.kind)?.settings ?? SettingSpec.sourceLimits), clock: clock)
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
    package typealias SurfaceError = ChatSetupError

    /// Connects every chat platform the configuration names (`ChatAdapters.builtIn`, in its order): Slack's Web API,
    /// Matrix signed in. A configured platform whose secret is missing or refused is an error: the bot must not start
    /// half-configured and silently queue every message. A surface's pacing runs on `clock`, the bot's.
    package static func connections(for config: BotConfig, clock: any BotClock, environment: [String: String] = ProcessInfo.processInfo.environment,
                                    transport: any HTTPTransport = URLSessionTransport()) async throws -> [any ChatConnection] {
        try await ChatAdapters.connect(config, ChatContext(clock: clock, environment: environment, transport: transport))
    }

    /// The chat surfaces for the configuration: `extra` (the terminal), then those of `connections`.
    package static func surfaces(for config: BotConfig, clock: any BotClock, environment: [String: String] = ProcessInfo.processInfo.environment,
                                 transport: any HTTPTransport = URLSessionTransport(), extra: [any ChatSurface]) async throws -> [any ChatSurface] {
        extra + (try await connections(for: config, clock: clock, environment: environment, transport: transport)).map(\.surface)
    }
}
