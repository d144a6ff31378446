import Chat
import Checks
import Core
import Demo
import Engine
import Foundation
import Logging
import Manifests
import Store
import Synchronization

/// A simulated year of the demo organisation through the real loop: `DemoSession.make` (what `soc2bot demo` runs:
/// scheduler, escalator, digest, dispatcher to the terminal surface, the scenario driver) on a file database, a
/// virtual clock, the demo manifests with all 15 controls at a 5-minute cadence, and a generated year-long scenario:
/// each week a bucket made public and acknowledged, MFA switched off and snoozed, branch protection removed and
/// accepted as a risk, SSH opened to the world and closed with a remediation note after the escalations fire, a
/// laptop decrypted, a critical vulnerability every four weeks left past its window, training lapsing and renewed.
/// Prints the per-step time (median and p95) in the first and the last month, the wall time, counts and peak RSS.
func benchYear(manifests: String, days: Int) async throws -> [BenchRow] {
    var config: BotConfig
    switch ManifestLoader.load(directory: URL(fileURLWithPath: manifests), catalog: .builtIn) {
    case .success(let loaded): config = loaded
    case .failure(let problems):
        require(false, "the demo manifests in \(manifests) do not load: \(problems)")
        return []
    }
    for i in config.controls.indices { config.controls[i].cadence = 300 }
    let northwind = try String(contentsOfFile: manifests + "/scenarios/northwind.yaml", encoding: .utf8)
    guard let events = northwind.range(of: "\nevents:") else {
        require(false, "manifests/demo/scenarios/northwind.yaml has no events")
        return []
    }
    let world = String(northwind[northwind.range(of: "\nworld:")!.lowerBound..<events.lowerBound])
    let yaml = "name: A year at Northwind (soc2bot-bench)\nstart: 2026-01-05T08:00:00Z\nduration: \(days)d\n" + world
        + "\nevents:\n" + yearEvents(days: days)
    let scenario = try ScenarioLoader.parse(yaml, file: "year.yaml")

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let database = try DemoSession.openDatabase(path: dir.appendingPathComponent("year.sqlite").path, scenarioFingerprint: "bench-year", resume: false)

    let steps = StepTimes()
    var logger = Logger(label: "soc2bot.bench.year")
    logger.logLevel = .critical
    let surface = TerminalSurface(platform: .terminal, colour: false) { _ in }
    let (session, _) = try DemoSession.make(config: config, scenario: scenario, database: database, makeClock: { VirtualClock(start: $0) },
                                            surfaces: [surface], logger: logger, until: nil, say: { _ in },
                                            observeStep: { steps.record($0) })
    print("  year: \(days) simulated days, \(config.controls.count) controls every 5 min, \(scenario.events.count) scenario events…")
    let cpuBefore = cpuSeconds()
    let wall = try await clock.measure { try await session.bot.loop.run() }
    let cpu = cpuSeconds() - cpuBefore

    let (runs, alerts, ledger, outbox) = try database.read { tx in
        (try tx.checkRunCount(), try tx.alertCount(), Int(try tx.ledgerHead()?.seq ?? 0), try tx.outboxCount())
    }
    let actions = try database.read { try $0.evidenceCount(kind: "human_action") }
    require(runs >= config.controls.count * days * 288 * 99 / 100, "only \(runs) control runs recorded")
    let month: TimeInterval = 30 * 86_400
    let first = steps.durations { $0 < scenario.start.addingTimeInterval(month) }
    let last = steps.durations { $0 >= scenario.start.addingTimeInterval(Double(days) * 86_400 - month) }
    func ms(_ d: Double) -> String { String(format: "%.2f ms", d * 1000) }
    func quantile(_ xs: [Double], _ q: Double) -> Double { xs.isEmpty ? 0 : xs[min(xs.count - 1, Int(Double(xs.count) * q))] }
    let firstMedian = quantile(first, 0.5), lastMedian = quantile(last, 0.5)
    let ratio = firstMedian > 0 ? lastMedian / firstMedian : 0
    let rss = peakRSSMegabytes()
    print("  year: \(grouped(steps.count)) steps, \(grouped(runs)) runs, \(grouped(alerts)) alerts, \(grouped(actions)) human actions, "
          + "\(grouped(ledger)) ledger entries, \(grouped(outbox)) messages in \(formatSeconds(wall))")
    let label = days == 365 ? "a year" : "\(days) days"
    return [
        BenchRow(benchmark: "\(label): step in the first month (median / p95 of \(grouped(first.count)))",
                 result: "\(ms(firstMedian)) / \(ms(quantile(first, 0.95)))", target: "—", ok: nil),
        BenchRow(benchmark: "\(label): step in the last month (median / p95 of \(grouped(last.count)))",
                 result: "\(ms(lastMedian)) / \(ms(quantile(last, 0.95))) (\(String(format: "%.2f", ratio))× the first)",
                 target: "≤ 1.2× the first month", ok: ratio <= 1.2),
        BenchRow(benchmark: "\(label) of 15 controls every 5 min (\(grouped(runs)) runs, \(grouped(alerts)) alerts, \(grouped(ledger)) ledger entries)",
                 result: formatSeconds(wall), target: days == 365 ? "< 60 s" : "—", ok: days == 365 ? wall < .seconds(60) : nil),
        BenchRow(benchmark: "\(label): CPU time of the process (user + system; the wall time above includes waiting for a shared machine)",
                 result: String(format: "%.1f s", cpu), target: days == 365 ? "< 60 s" : "—", ok: days == 365 ? cpu < 60 : nil),
        BenchRow(benchmark: "\(label): peak RSS", result: "\(rss) MB", target: "< 150 MB", ok: rss < 150),
    ]
}

/// The generated timeline: a weekly cycle of failures and people's answers, a vulnerability every four weeks,
/// training renewed three days after it lapses.
private func yearEvents(days: Int) -> String {
    var lines: [String] = []
    func event(_ hours: Double, _ body: String) {
        guard hours < Double(days) * 24 else { return }
        lines.append("  - at: \(Int(hours * 60))m\n    \(body)")
    }
    for week in 0..<(days / 7 + 1) {
        let w = Double(week) * 168
        event(w + 2, "set_bucket: {name: nw-app-logs, public: true}")
        event(w + 3, "command: {as: priya, text: \"/soc2 ack {alert:storage-public/s3:nw-app-logs}\"}")
        event(w + 6, "set_bucket: {name: nw-app-logs, public: false}")
        event(w + 10, "set_account: {system: AWS, login: ops-admin, mfa: false}")
        event(w + 11, "command: {as: priya, text: \"/soc2 snooze {alert:admin-mfa/aws:ops-admin} 1d waiting for a hardware key\"}")
        event(w + 40, "set_account: {system: AWS, login: ops-admin, mfa: true}")
        event(w + 20, "set_repository: {name: northwind/web, protected: false}")
        event(w + 30, "command: {as: priya, text: \"/soc2 accept {alert:branch-protection/github:northwind/web} 3d release freeze\"}")
        event(w + 100, "set_repository: {name: northwind/web, protected: true}")
        event(w + 50, "set_network_rule: {id: sg-0bastion, sources: [0.0.0.0/0]}")
        event(w + 70, "command: {as: priya, text: \"/soc2 close {alert:ssh-exposure/aws:sg-0bastion} restricted to the VPN range, ticket OPS-\(week)\"}")
        event(w + 70, "set_network_rule: {id: sg-0bastion, sources: [10.20.0.0/16]}")
        event(w + 120, "set_device: {serial: C02NW-KIM1, encrypted: false}")
        event(w + 130, "set_device: {serial: C02NW-KIM1, encrypted: true}")
        if week % 4 == 1 {
            event(w + 24, "add_vulnerability: {id: CVE-2026-\(10_000 + week), title: \"RCE in a parser\", severity: critical, resource: northwind/api, opened: \"+\(Int(w + 24))h\"}")
            event(w + 24 + 240, "fix_vulnerability: {id: CVE-2026-\(10_000 + week)}")
        }
    }
    event(20 * 24, "set_vendor: {name: PayFlow, report_period_end: \"+200d\"}")
    event(230 * 24, "set_vendor: {name: PayFlow, report_period_end: \"+600d\"}")
    // Completed this many days before the start (the northwind world): renewed three days after each lapse.
    for (email, age) in [("maya", 120), ("priya", 40), ("dana", 200), ("omar", 90), ("lena", 60), ("sam", 355), ("jon", 150),
                         ("kim", 356), ("jsmith", 300), ("rosa", 10)] {
        event(Double(365 - age + 3) * 24, "complete_training: {email: \(email)@northwind.example}")
    }
    // The scenario format wants events in time order.
    return lines.sorted { minutes($0) < minutes($1) }.joined(separator: "\n") + "\n"
}

private func minutes(_ line: String) -> Int {
    let text = line.dropFirst("  - at: ".count).prefix { $0.isNumber }
    return Int(text) ?? 0
}

/// Per-step wall time, taken between consecutive completed steps (the loop's own work between them included).
private final class StepTimes: Sendable {
    private let state = Mutex<(last: ContinuousClock.Instant?, times: [(Date, Double)])>((nil, []))
    func record(_ at: Date) {
        let now = ContinuousClock.now
        state.withLock { s in
            if let last = s.last { s.times.append((at, seconds(now - last))) }
            s.last = now
        }
    }
    var count: Int { state.withLock { $0.times.count } }
    func durations(where include: (Date) -> Bool) -> [Double] {
        state.withLock { s in s.times.filter { include($0.0) }.map(\.1).sorted() }
    }
}

/// Peak resident set size of this process (VmHWM), in MB.
func peakRSSMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// User plus system CPU time of this process so far, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
