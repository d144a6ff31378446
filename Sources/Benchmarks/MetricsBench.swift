import Core
import Engine
import Foundation
import HTTP
import Reports
import Sockets
import Store

/// The program metrics on a file database holding a `ledgerSize`-entry ledger and twelve weeks of alert history
/// (5 teams × 4 controls, 400 resources each, a changing 5 % failing each week and fixed a day later, the last
/// week's failures still open): the readiness view, the metrics by team and by criterion, the weekly digest with
/// its charts, the dashboard's main page served over loopback HTTP and the Prometheus scrape, each the median of 3.
func benchMetrics(ledgerSize: Int) async throws -> [BenchRow] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
        let database = try fileDatabase(in: dir)
        print("  metrics: building a \(grouped(ledgerSize))-entry ledger…")
        _ = try appendEntries(database, count: ledgerSize, batch: 10_000)
        let teams = ["infra", "it", "engineering", "security", "people"]
        let criteria = ["CC6.1", "CC6.2", "CC6.6", "CC7.1", "CC7.2", "CC8.1", "CC9.2"]
        var controls: [Control] = []
        for (t, team) in teams.enumerated() {
            for c in 0..<4 {
                controls.append(Control(id: ControlID("\(team)-\(c)"), title: "\(team) control \(c)",
                                        criteria: [Criterion(criteria[(t + c) % criteria.count])!], owner: TeamID(team), severity: Severity.allCases[c],
                                        cadence: 3_600, check: CheckSpec(type: "mfa"), remediation: "fix it"))
            }
        }
        let config = BotConfig(organisation: "Bench", people: [Person(id: "sam", name: "Sam", email: "sam@example.com", team: "infra")],
                               teams: teams.map { Team(id: TeamID($0), name: $0, manager: "sam", channels: ChannelRoutes(defaults: [.terminal: "#\($0)"])) },
                               securityLeads: ["sam"], controls: controls, digest: DigestSchedule(leadership: [.terminal: "#leadership"]))
        let engine = AlertEngine(config: config, database: database)
        let t0 = Date(timeIntervalSince1970: 1_770_000_000)
        for week in 0..<12 {
            let at = t0.addingTimeInterval(Double(week) * 7 * 86_400)
            for control in controls {
                func results(failing: Bool) -> [CheckResult] {
                    (0..<400).map { i in
                        let fails = failing && (i + week * 7) % 20 == 0
                        return CheckResult(resource: ResourceRef(id: "r\(i)", kind: "account"), status: fails ? .fail : .pass, expected: "ok", observed: fails ? "bad" : "ok")
                    }
                }
                try engine.reconcile(control, results: results(failing: true), at: at)
                if week < 11 { try engine.reconcile(control, results: results(failing: false), at: at.addingTimeInterval(86_400)) }
            }
        }
        let now = t0.addingTimeInterval(12 * 7 * 86_400)
        let (entries, alerts, live) = try database.read { (try $0.ledgerHead()?.seq ?? 0, try $0.alerts().count, try $0.liveAlerts().count) }
        let period = DateInterval(start: now.addingTimeInterval(-12 * 7 * 86_400), end: now)
        let history = DateInterval(start: period.start.addingTimeInterval(-period.duration), end: now)
        var rows: [BenchRow] = []
        func time(_ name: String, target: Duration = .seconds(1), _ body: () async throws -> Void) async throws {
            var durations: [Duration] = []
            for _ in 0..<3 {
                let start = ContinuousClock.now
                try await body()
                durations.append(ContinuousClock.now - start)
            }
            let m = median(durations)
            rows.append(BenchRow(benchmark: "  \(name)", result: formatSeconds(m) + " (median of 3)",
                                 target: target == .seconds(1) ? "< 1 s" : "< \(Int(seconds(target) * 1_000)) ms", ok: m < target))
        }
        try await time("readiness view (/soc2 status)") { _ = try database.read { try StatusReport.build(config: config, store: $0, now: now) } }
        try await time("metrics by team, 12 weeks beside the 12 before") {
            _ = try database.read { tx in
                MetricsBreakdown.compute(.team, alerts: try tx.alertFacts(touching: history), controls: controls, ran: try tx.controlsRun(in: period), ranBefore: [],
                                         evidencedManual: [], period: period)
            }
        }
        try await time("metrics by criterion") {
            _ = try database.read { tx in
                MetricsBreakdown.compute(.criterion, alerts: try tx.alertFacts(touching: history), controls: controls, ran: try tx.controlsRun(in: period), ranBefore: [],
                                         evidencedManual: [], period: period)
            }
        }
        try await time("weekly digest (5 teams and leadership, 6 trend charts)") {
            let digest = try database.read { try WeeklyDigest.build(config: config, store: $0, now: now) }
            require(digest.messages.filter { $0.message.image != nil }.count == 6, "the digest drew \(digest.messages.count) messages")
        }
        // The dashboard as a browser gets it: served by the inbound server, fetched over loopback.
        let routes = InboundRoutes(dashboard: DashboardEndpoint(engine: engine, clock: VirtualClock(start: now), token: "bench-dashboard-token", auditors: []))
        let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
        try server.start()
        defer { server.stop() }
        let transport = URLSessionTransport()
        let page = HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(server.port)/dashboard")!, headers: [("Authorization", "Bearer bench-dashboard-token")])
        let warm = try await transport.send(page)
        require(warm.status == 200 && String(decoding: warm.body, as: UTF8.self).contains("Open alerts (\(live))"), "the dashboard answered \(warm.status)")
        try await time("dashboard main page over HTTP (\(grouped(live)) open alerts)", target: .milliseconds(50)) { _ = try await transport.send(page) }
        try await time("Prometheus scrape (/metrics)") { _ = try database.read { try PrometheusMetrics.render(config: config, store: $0, now: now) } }
        rows.insert(BenchRow(benchmark: "metrics over a \(grouped(Int(entries)))-entry ledger, \(grouped(alerts)) alerts in 12 weeks", result: "", target: "", ok: nil), at: 0)
        return rows
    }
}
