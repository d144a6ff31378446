import Chat
import Checks
import FactSources
import Core
import Engine
import Foundation
import Logging
import Store

/// Sets up a demo run: its own database (fresh, or resumed after a crash), the simulated world, the scenario
/// driver and the bot, all wired through `Bot.make` like production, driven by its deterministic loop (`Bot.driven`).
package struct DemoSession: Sendable {
    package static let scenarioCursor = "demo.scenario"
    package static let clockCursor = "demo.now"
    static let reviewsCursor = "demo.access-reviews"

    package let bot: Bot
    package let driver: ScenarioDriver
    package let world: DemoWorld
    /// Simulated time at which this run starts (the scenario start, or where a resumed run left off).
    package let resumeAt: Date
    /// The ledger as found before this run appended to it (verified; triggers put back if they had been dropped).
    package let ledgerCheck: LedgerStartCheck

    package enum SetupError: Error, CustomStringConvertible {
        case notADemoDatabase(String)
        /// A server's database that holds a demo run already: the demo never empties one.
        case demoDatabaseInUse(String)
        package var description: String {
            switch self {
            case .notADemoDatabase(let path):
                "\(path) holds a soc2bot database that is not a demo's; the demo will not overwrite it. Use --database with another file."
            case .demoDatabaseInUse(let location):
                "\(location) holds an earlier demo run; the demo does not empty a server's database. Pass --resume to continue that run (same scenario), or use a new, empty database (createdb)."
            }
        }
    }

    /// Opens the demo database. An existing demo database is resumed when `resume` is set and it ran the same
    /// scenario; otherwise it is replaced. A database that is not a demo's is never touched.
    package static func openDatabase(path: String, scenarioFingerprint: String, resume: Bool) throws -> BotDatabase {
        if FileManager.default.fileExists(atPath: path) {
            let existing = try BotDatabase.open(path: path)
            let fingerprint = try existing.read { try $0.cursor(scenarioCursor) }
            let hasHistory = try existing.read { try $0.ledgerHead() } != nil
            if fingerprint == nil && hasHistory { throw SetupError.notADemoDatabase(path) }
            if resume && fingerprint == scenarioFingerprint { return existing }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let database = try BotDatabase.open(path: path)
        try database.write { try $0.setCursor(scenarioCursor, scenarioFingerprint) }
        return database
    }

    /// Takes a database that is not a file the demo may replace (a PostgreSQL database, opened and migrated): an empty
    /// one becomes this demo's; one holding a run of the same scenario is resumed with `resume`; anything else is
    /// refused untouched — another deployment's (`notADemoDatabase`) or an earlier demo run's (`demoDatabaseInUse`).
    package static func adopt(_ database: BotDatabase, scenarioFingerprint: String, resume: Bool) throws -> BotDatabase {
        let (fingerprint, hasHistory) = try database.read { (try $0.cursor(scenarioCursor), try $0.ledgerHead() != nil) }
        if fingerprint == nil && hasHistory { throw SetupError.notADemoDatabase(database.path) }
        if let fingerprint {
            guard resume && fingerprint == scenarioFingerprint else { throw SetupError.demoDatabaseInUse(database.path) }
            return database
        }
        try database.write { try $0.setCursor(scenarioCursor, scenarioFingerprint) }
        return database
    }

    /// Builds the demo bot. `makeClock` receives the simulated time to start from; `observeStep` is called after each
    /// step has saved the clock (`soc2bot-bench --only year` times the steps there).
    package static func make(config fullConfig: BotConfig, scenario: Scenario, database: BotDatabase, makeClock: (Date) -> any BotClock,
                             surfaces: [any ChatSurface], logger: Logger, until: TimeInterval?,
                             say: @escaping @Sendable (String) -> Void,
                             observeStep: @escaping @Sendable (Date) -> Void = { _ in }) throws -> (DemoSession, any BotClock) {
        var config = fullConfig.restrictingChat(to: [.terminal])
        // The world's vendors with a register id join the register, so `/soc2 vendor renew <id>` works in scenarios.
        let registered = Set(config.vendors.map { $0.id.lowercased() })
        config.vendors += scenario.world.vendors.compactMap { vendor in
            guard let id = vendor.id, !registered.contains(id.lowercased()) else { return nil }
            return VendorEntry(id: id, name: vendor.name, tier: vendor.tier, owner: scenario.world.vendorOwners[id.lowercased()],
                               reportPeriodEnd: vendor.reportPeriodEnd, questionnaireDue: vendor.questionnaireDue, dpaSigned: vendor.dpaSigned ?? false)
        }
        let resumeAt = try resumeTime(database: database, scenario: scenario)
        // Refuses a broken chain before anything is appended to it (BrokenLedgerError).
        let ledgerCheck = try database.prepareLedgerForAppending(now: resumeAt)
        let clock = makeClock(resumeAt)
        // Their owners are reminded before a report lapses, as the register's are.
        var initial = scenario.world
        for index in initial.vendors.indices {
            guard let id = initial.vendors[index].id, let owner = initial.vendorOwners[id.lowercased()] else { continue }
            initial.vendors[index].ownerEmail = config.person(owner)?.email
        }
        let world = DemoWorld(id: config.sources.first { $0.kind == "demo" }?.id ?? "demo", initial: initial, renewals: database)
        let sources = Bot.sources(for: config, clock: clock) { _ in world }
        let end = scenario.start.addingTimeInterval(until ?? scenario.duration)
        let built = Bot.make(config: config, database: database, sources: sources, surfaces: surfaces, clock: clock, logger: logger,
                             start: scenario.start)
        // The scenario's people act through the bot's engine, but without its run triggers: a scripted command's
        // effects come at the next scheduled run, as the transcripts have always shown them.
        let driver = ScenarioDriver(scenario: scenario, world: world, commands: CommandHandler(engine: built.engine, clock: clock),
                                    database: database, say: say)
        try driver.restore()
        // Certifications made before the scenario starts are recorded once, with the first step's evidence.
        if !scenario.world.accessReviews.isEmpty {
            try database.write { tx in
                guard try tx.cursor(reviewsCursor) == nil else { return }
                try AccessReviews.recordPast(scenario.world.accessReviews, at: resumeAt, tx: tx)
                try tx.setCursor(reviewsCursor, "recorded")
            }
        }
        // Driven deterministically: the scenario's events first at each moment, then the bot's works, then deliveries.
        let bot = built.driven(leading: [driver], until: end, idlePoll: 3_600) { now in
            // A resumed demo starts at the later of this save and the ledger head's time (`resumeTime`): a step that
            // appended evidence at `now` has saved its time already, and a second commit (an fsync) a step would only
            // repeat it. Known without a read when this process appended at `now` (the head is never earlier).
            let saved = database.latestAppendHere.map { $0 >= now } ?? false
            if !saved, try database.read({ try $0.ledgerHeadTime() }).map({ $0 < now }) ?? true {
                try database.write { try $0.setCursor(clockCursor, TimeText.iso(now)) }
            }
            observeStep(now)
        }
        return (DemoSession(bot: bot, driver: driver, world: world, resumeAt: resumeAt, ledgerCheck: ledgerCheck), clock)
    }

    /// Where simulated time resumes: the saved clock, or the ledger head's time when that is later. The clock is
    /// saved after each step's deliveries, which record evidence at their own (later) time; a kill in between left
    /// the save behind the ledger, and resuming from it dated new entries before ones already written.
    package static func resumeTime(database: BotDatabase, scenario: Scenario) throws -> Date {
        try database.read { tx in
            let saved = try tx.cursor(clockCursor).flatMap(TimeText.parse) ?? scenario.start
            return max(saved, try tx.ledgerHeadTime() ?? saved)
        }
    }

    /// A short fingerprint of the scenario file's bytes, so a resumed database belongs to the same scenario.
    package static func fingerprint(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf29ce484222325   // FNV-1a: identity, not security
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return String(hash, radix: 16)
    }
}
