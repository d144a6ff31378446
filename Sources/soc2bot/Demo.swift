import ArgumentParser
import Chat
import Core
import Demo
import Engine
import Foundation
import ServiceLifecycle
import Store

/// `soc2bot demo`: the whole bot on a fictional company whose systems change along a scripted timeline.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bot on the built-in demo organisation (terminal chat, simulated time).",
        discussion: "Type /soc2 commands at the prompt (as --as, default the first security lead). With stdin not a terminal the demo runs unattended. A demo database is replaced on each run unless --resume; a database that is not a demo's is never touched. The scenario format is documented in manifests/demo/README.md.")
    @Option(name: .long, help: "Directory of manifest YAML files.")
    var manifests: String = "manifests/demo"
    @Option(name: .long, help: "SQLite database file for the demo.")
    var database: String = "soc2bot-demo.sqlite"
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

    func run() async throws {
        let config = try loadConfig(manifests)
        let scenarioPath = scenario ?? URL(fileURLWithPath: manifests).appendingPathComponent("scenarios/northwind.yaml").path
        let scenarioData: Data
        let plan: Scenario
        do {
            scenarioData = try Data(contentsOf: URL(fileURLWithPath: scenarioPath))
            plan = try ScenarioLoader.parse(String(decoding: scenarioData, as: UTF8.self), file: scenarioPath)
        } catch {
            standardError("soc2bot demo: \(error)")
            throw Exit.errors
        }
        let untilSeconds: TimeInterval?
        if let until {
            guard let seconds = DurationText.parse(until) else { throw ValidationError("--until must be a duration such as 14d") }
            untilSeconds = seconds
        } else { untilSeconds = nil }
        let speedValue: Double? = speed == "max" ? nil : Double(speed)
        if speed != "max" && (speedValue ?? 0) <= 0 { throw ValidationError("--speed must be a positive number or `max`") }

        let database: BotDatabase
        do {
            database = try DemoSession.openDatabase(path: self.database, scenarioFingerprint: DemoSession.fingerprint(scenarioData), resume: resume)
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
        warnIfTriggersRestored(session.ledgerCheck, path: self.database)

        output.write("soc2bot demo — \(plan.name)\n\(config.organisation): \(config.controls.count) controls, \(config.teams.count) teams; "
                     + "simulated time from \(TimeText.human(session.resumeAt))"
                     + (speedValue.map { " at \(Int($0))× real time" } ?? " as fast as possible") + ".")
        var services: [any Service] = [session.bot.loop]
        if interactive {
            let typist = try keyboardPerson(config)
            output.write("Type /soc2 help for commands (you are \(typist.name)); Ctrl-C stops.")
            services.append(TerminalInput(commands: session.bot.commands, dispatcher: session.bot.dispatcher, doorbell: session.bot.doorbell, chatID: typist.chatIDs[.terminal] ?? typist.id.rawValue, output: output))
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
