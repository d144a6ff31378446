import Checks
import Core
import Engine
import FactSources
import Foundation
import Logging
import Store

/// A fleet of `devices` laptops for `people` people (5 each) from a synthetic device source, plus their training
/// records: through the endpoint controls (encryption, OS patch level, EDR, screen lock, check-in) and the training
/// control with its reminders, on a file database — each control's first run (alerts opened) and a steady run.
struct SyntheticFleet: FactSource {
    let id: SourceID = "fleet"
    let provides: Set<FactKind> = [.devices, .people, .training]
    let devices: Int
    let people: Int
    let now: Date

    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        if kinds.contains(.devices) {
            facts.devices = (0..<devices).map { n in
                Device(serial: String(format: "C02%07d", n), name: "laptop-\(n)", ownerEmail: "person\(n % people)@bench.example",
                       encrypted: n % 97 != 0, osVersion: n % 13 == 0 ? "macOS 15.0.1" : "macOS 15.2", lastCheckIn: now.addingTimeInterval(n % 211 == 0 ? -30 * 86_400 : -3_600),
                       platform: "macOS", managedBy: "Fleet", screenLock: n % 89 != 0, apps: ["Google Chrome", "Slack"] + (n % 53 == 0 ? [] : ["Falcon"]),
                       policies: ["Falcon running": n % 53 != 0])
            }
        }
        if kinds.contains(.people) {
            facts.people = (0..<people).map { HRPerson(employeeID: "\($0)", name: "Person \($0)", email: "person\($0)@bench.example", status: .active) }
        }
        if kinds.contains(.training) {
            facts.training = (0..<people).map { n in
                TrainingRecord(email: "person\(n)@bench.example", completedAt: now.addingTimeInterval(-Double(n % 400) * 86_400))
            }
        }
        return facts
    }
}

func benchEndpoints(devices: Int, people: Int) async throws -> [BenchRow] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    let clock = SystemClock()
    func control(_ id: String, _ type: String, _ parameters: [String: ConfigValue] = [:], grouping: AlertGrouping = .perResource) -> Control {
        Control(id: ControlID(id), title: id, criteria: [Criterion("CC6.7")!], owner: "it", severity: .high, cadence: 3_600,
                check: CheckSpec(type: type, parameters: parameters), remediation: "Fix it.", grouping: grouping)
    }
    let controls = [
        control("device-encryption", "device_encryption"),
        control("os-patch-level", "os_patch_level", ["releases": .list([.string("macOS 15.2 2026-01-01")])]),
        control("edr", "edr_present", ["policy": .string("Falcon running")]),
        control("screen-lock", "screen_lock"),
        control("device-checkin", "device_checkin"),
        control("training", "training", grouping: .perControl),
    ]
    let config = BotConfig(organisation: "Bench", people: [Person(id: "sam", name: "Sam", email: "sam@example.com", team: "it")],
                           teams: [Team(id: "it", name: "IT", manager: "sam", channels: ChannelRoutes(defaults: [.terminal: "#it"]))],
                           securityLeads: ["sam"], controls: controls)
    let database = try BotDatabase.open(path: url.appendingPathComponent("bench.sqlite").path)
    let bot = Bot.make(config: config, database: database, sources: [SyntheticFleet(devices: devices, people: people, now: clock.now())], surfaces: [],
                       clock: clock, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
    var rows: [BenchRow] = []
    var firstTotal = Duration.zero, steadyTotal = Duration.zero
    var opened = 0
    for control in controls {
        var summary: AlertEngine.RunSummary?
        firstTotal += try await ContinuousClock().measure { summary = try await bot.scheduler.runOnce(control, at: clock.now()) }
        opened += summary?.opened.count ?? 0
    }
    for control in controls {
        steadyTotal += try await ContinuousClock().measure { _ = try await bot.scheduler.runOnce(control, at: clock.now()) }
    }
    // The synthetic people have no chat ids: reminders are recorded in the ledger, with nowhere to deliver.
    let reminders = try database.read { try $0.evidence(subjectPrefix: "reminder:") }.count
    rows.append(BenchRow(benchmark: "endpoint and training controls: \(grouped(devices)) devices, \(grouped(people)) people (6 controls), first run",
                         result: "\(formatSeconds(firstTotal)), \(grouped(opened)) alerts opened, \(grouped(reminders)) reminders recorded", target: "—", ok: nil))
    rows.append(BenchRow(benchmark: "  the same, steady state (nothing changed)", result: formatSeconds(steadyTotal), target: "—", ok: nil))
    rows.append(BenchRow(benchmark: "  resident memory after those runs", result: "RSS \(memoryKiB("VmRSS") / 1024) MiB, peak \(memoryKiB("VmHWM") / 1024) MiB",
                         target: "—", ok: nil))
    return rows
}
