import ArgumentParser
import Chat
import Core
import Demo
import Engine
import Foundation
import PostgresStore
import ServiceLifecycle
import Store

/// `soc2bot demo`: the whole bot on a fictional company whose systems change along a scripted timeline.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bot on the built-in demo organisation (terminal chat, simulated time).",
        discussion: "Type /soc2 commands at the prompt (as --as, default the first security lead). With stdin not a terminal the demo runs unattended. A demo database is replaced on each run unless --resume; a database that is not a demo's is never touched. The scenario format is documented in manifests/demo/README.md.")
    @Option(name: .long, help: "Directory of manifest YAML files.")
    var manifests: String = "manifests/demo"
    @Option(name: .long, help: ArgumentHelp(
        "The demo's database: an SQLite file (replaced on each run unless --resume), or an empty PostgreSQL database as postgres://USER@HOST:5432/DB (never emptied: a new one per run, or --resume).",
        valueName: "path-or-url"))
    var database = DatabaseOption("soc2bot-demo.sqlite")
    @Option(name: .long, help: "Scenario file (timeline). Default: <manifests>/scenarios/northwind.yaml.")
    var scenario: String?
    @Option(name: .long, help: "Simulated seconds per real second (3600 = one hour per second), or `max` to run as fast as possible.")
    var speed: String = "3600"
    @Option(name: .long, help: "Stop after this much simulated time, e.g. 14d (default: the scenario's duration).")
    var until: String?
    @Option(name: .customLong("as"), help: "Person id whose commands you type (default: the first security lead).")
    var person: String?
    @Flag(name: .long, help: "Continue a demo database left by an interrupted run of the same scenario.")
    var resume = false
    @Flag(name: .long, help: "No colours.")
    var plain = false
    @Option(name: .long, help: "Directory where the digest's charts (PNG) are saved, to open while the demo runs.")
    var charts: String = "soc2bot-demo-charts"

    /// The slowest and fastest `--speed`: slower than 1/100 of real time never shows anything, and at 10^9 a
    /// real second is 31 years, beyond any `--until`.
    static let speedRange: ClosedRange<Double> = 0.01...1_000_000_000
    /// The longest `--until`: a year of simulated time (an audit period; the demo runs about 60 days a minute
    /// at `--speed max`).
    static let untilLimit = Scenario.longestDuration

    /// `--speed` as a number, nil for `max`; a usage error naming the range otherwise.
    static func speed(_ text: String) throws -> Double? {
        if text == "max" { return nil }
        guard let value = Double(text), value.isFinite, speedRange.contains(value) else {
            throw ValidationError("--speed must be `max` or a number from 0.01 to 1000000000 (simulated seconds per real second), not `\(text.prefix(40))`")
        }
        return value
    }

    /// `--until` in seconds; a usage error for anything but a duration from 1s to 366d.
    static func until(_ text: String) throws -> TimeInterval {
        guard case .success(let seconds) = DurationText.read(text), seconds <= untilLimit else {
            throw ValidationError("--until must be a duration from 1s to 366d, such as 14d, not `\(text.prefix(40))`")
        }
        return seconds
    }

    func validate() throws {
        _ = try Self.speed(speed)
        if let until { _ = try Self.until(until) }
    }

    func run() async throws {
        let config = try loadConfig(manifests)
        let scenarioPath = scenario ?? URL(fileURLWithPath: manifests).appendingPathComponent("scenarios/northwind.yaml").path
        let scenarioData: Data
        do {
            scenarioData = try Data(contentsOf: URL(fileURLWithPath: scenarioPath))
        } catch {
            var isDirectory: ObjCBool = false
            let why = !FileManager.default.fileExists(atPath: scenarioPath, isDirectory: &isDirectory) ? "does not exist"
                : isDirectory.boolValue ? "is a directory" : "cannot be read"
            standardError(scenario == nil
                ? "soc2bot demo: \(manifests) has no demo scenario: \(scenarioPath) \(why). Pass --scenario FILE, or copy manifests/demo/scenarios/ into \(manifests)."
                : "soc2bot demo: the scenario \(scenarioPath) \(why). Pass --scenario with a scenario file (the format is in manifests/demo/README.md).")
            throw Exit.errors
        }
        let plan: Scenario
        do {
            plan = try ScenarioLoader.parse(scenarioData, file: scenarioPath)
        } catch {
            standardError("soc2bot demo: \(error)")
            throw Exit.problems
        }
        let untilSeconds = try until.map(Self.until)
        let speedValue = try Self.speed(speed)

        let database: BotDatabase
        do {
            switch self.database.address {
            case .sqlite(let path):
                database = try DemoSession.openDatabase(path: path, scenarioFingerprint: DemoSession.fingerprint(scenarioData), resume: resume)
            case .postgres:
                database = try DemoSession.adopt(try self.database.address.open(.readWrite), scenarioFingerprint: DemoSession.fingerprint(scenarioData),
                                                 resume: resume)
            }
        } catch {
            standardError("soc2bot demo: \(error)")
            throw Exit.errors
        }
        let interactive = isatty(0) == 1
        let output = Output()
        let colour = !plain && isatty(1) == 1
        let surfaces: [any ChatSurface] = [TerminalSurface(platform: .terminal, colour: colour, imageDirectory: URL(fileURLWithPath: charts)) { output.write($0) }]
        let logger = makeLogger()
        let (session, clock): (DemoSession, any BotClock)
        do {
            (session, clock) = try DemoSession.make(
                config: config, scenario: plan, database: database,
                makeClock: { start in speedValue.map { AcceleratedClock(start: start, speed: $0) as any BotClock } ?? VirtualClock(start: start) },
                surfaces: surfaces, logger: logger, until: untilSeconds, say: { output.write($0) })
        } catch let broken as BrokenLedgerError {
            standardError("soc2bot demo: \(broken)")
            throw Exit.errors
        }
        warnIfTriggersRestored(session.ledgerCheck, path: database.path)

        output.write("soc2bot demo — \(plan.name)\n\(config.organisation): \(config.controls.count) controls, \(config.teams.count) teams; "
                     + "simulated time from \(TimeText.human(session.resumeAt))"
                     + (speedValue.map { " at \($0.rounded() == $0 ? String(Int($0)) : String($0))× real time" } ?? " as fast as possible") + ".")
        var services: [any Service] = [session.bot.loop]
        if interactive {
            let typist = try keyboardPerson(config)
            output.write("Type /soc2 help for commands (you are \(typist.name)); Ctrl-C stops.")
            services.append(TerminalInput(bot: session.bot, chatID: typist.chatIDs[.terminal] ?? typist.id.rawValue, output: output))
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()

        let report = try database.read { try Reports.StatusReport.build(config: config, store: $0, now: clock.now()) }
        output.write("\n" + TerminalRenderer(colour: colour).render(report.message, destination: .channel(.terminal, "summary"), kind: "reply"))
        let verdict = try database.read { try $0.verifyLedger() }
        output.write("Evidence: \(verdict). Inspect with: soc2bot alerts --database \(self.database) --manifests \(manifests)")
    }

    private func keyboardPerson(_ config: BotConfig) throws -> Person {
        if let id = person {
            guard let found = config.person(PersonID(id)) else { throw ValidationError("--as \(id): no such person in the manifests") }
            return found
        }
        guard let found = config.securityLeads.first.flatMap(config.person) ?? config.people.first else {
            throw ValidationError("the manifests have no people to type commands as")
        }
        return found
    }
}

import Reports
