import Chat
import Checks
import FactSources
import Core
import Foundation
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

    /// - Parameters:
    ///   - start: controls that never ran are due from this moment.
    ///   - leadingWork: timed work run before the scheduler when due at the same moment (a scenario's events).
    ///   - until: the loop returns once the clock passes it (nil: until shutdown).
    package static func make(config: BotConfig, database: BotDatabase, sources: [any FactSource], surfaces: [any ChatSurface],
                             clock: any BotClock, logger: Logger, start: Date, leadingWork: [any TimedWork] = [],
                             until: Date? = nil, idlePoll: TimeInterval = 60,
                             afterStep: @escaping @Sendable (Date) async throws -> Void = { _ in }) -> Bot {
        let engine = AlertEngine(config: config, database: database)
        let scheduler = ControlScheduler(engine: engine, runner: ControlRunner(sources: sources), start: start, logger: logger)
        let dispatcher = Dispatcher(database: database, surfaces: surfaces, clock: clock, logger: logger)
        let loop = BotLoop(works: leadingWork + [SchedulerWork(scheduler: scheduler), EscalatorWork(engine: engine)],
                           dispatcher: dispatcher, clock: clock, logger: logger, until: until, idlePoll: idlePoll, afterStep: afterStep)
        return Bot(engine: engine, scheduler: scheduler, dispatcher: dispatcher,
                   commands: CommandHandler(engine: engine, clock: clock), loop: loop)
    }

    /// The fact sources for the configured systems: `demo` sources get `demoWorld`; kinds without a client in
    /// this build become `UnavailableSource`s, whose checks report errors rather than passing.
    package static func sources(for config: BotConfig, demoWorld: (SourceConfig) -> (any FactSource)?) -> [any FactSource] {
        config.sources.map { source in
            if source.kind == "demo", let world = demoWorld(source) { return world }
            return UnavailableSource(config: source)
        }
    }
}
