import Checks
import Core
import Engine
import FactSources
import Foundation
import HTTP
import Logging
import Sockets
import Store
import Synchronization

/// An organisation of `people` people with an account each in five systems (150 terminated, a third of whose
/// accounts are still active; 3 % of accounts without MFA), through the offboarding and MFA controls on a file
/// database; then signed GitHub webhooks through the inbound server → the triggered control's alert in the
/// outbox, one at a time.
func benchIdentity(people count: Int, webhooks: Int) async throws -> [BenchRow] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }

    let org = SyntheticOrganisation(people: count)
    let controls = [
        Control(id: "offboarding", title: "Leavers' access removed within 24h", criteria: [Criterion("CC6.2")!], owner: "infra", severity: .critical,
                cadence: 3_600, check: CheckSpec(type: "offboarding"), remediation: "Disable every account of the leaver."),
        Control(id: "mfa", title: "MFA on every account", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
                cadence: 3_600, check: CheckSpec(type: "mfa"), remediation: "Enforce MFA."),
        Control(id: "branch-protection", title: "Default branches protected", criteria: [Criterion("CC8.1")!], owner: "infra", severity: .high,
                cadence: 86_400, check: CheckSpec(type: "branch_protection"), remediation: "Protect the default branch."),
    ]
    let benchConfig = BotConfig(
        organisation: "Bench", people: [Person(id: "sam", name: "Sam", email: "sam@example.com", team: "infra")],
        teams: [Team(id: "infra", name: "Infrastructure", manager: "sam", channels: ChannelRoutes(defaults: [.terminal: "#infra"]))],
        securityLeads: ["sam"], controls: controls,
        sources: [SourceConfig(id: "github", kind: "github", credentialVariables: ["token": "GITHUB_TOKEN", "webhook_secret": "GITHUB_WEBHOOK_SECRET"])])
    let database = try BotDatabase.open(path: url.appendingPathComponent("bench.sqlite").path)
    let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let clock = SystemClock()
    let bot = Bot.make(config: benchConfig, database: database, sources: [org], surfaces: [], clock: clock, logger: logger, start: clock.now())

    var rows: [BenchRow] = []
    for control in controls.prefix(2) {
        var summary: AlertEngine.RunSummary?
        let elapsed = try await ContinuousClock().measure { summary = try await bot.scheduler.runOnce(control, at: clock.now()) }
        let opened = summary?.opened.count ?? 0
        print("  \(control.id): \(grouped(count)) people × 5 systems in \(formatSeconds(elapsed)), \(opened) alerts opened")
        rows.append(BenchRow(benchmark: "\(control.id) over \(grouped(count)) people × 5 systems (\(grouped(count * 5)) accounts), first run",
                             result: "\(formatSeconds(elapsed)), \(grouped(opened)) alerts opened", target: "—", ok: nil))
    }
    rows.append(BenchRow(benchmark: "  resident memory after those runs", result: "RSS \(memoryKiB("VmRSS") / 1024) MiB, peak \(memoryKiB("VmHWM") / 1024) MiB",
                         target: "—", ok: nil))

    // Webhooks: the loop runs for real; each webhook flips one repository and is timed until its alert is queued.
    let secret = "bench-webhook-secret"
    let endpoint = WebhookEndpoint(config: benchConfig, triggers: bot.triggers, doorbell: bot.doorbell, logger: logger,
                                   environment: ["GITHUB_WEBHOOK_SECRET": secret])
    let routes = InboundRoutes(webhooks: endpoint)
    let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
    try server.start()
    defer { server.stop() }
    _ = try await bot.scheduler.runOnce(controls[2], at: clock.now())
    let loop = Task { try? await bot.loop.run() }
    defer { loop.cancel() }
    let transport = URLSessionTransport()
    var latencies: [Duration] = []
    for n in 0..<webhooks {
        org.unprotect(n)
        let body = Data(#"{"action":"deleted","repository":{"full_name":"northwind/repo-\#(n)"}}"#.utf8)
        let started = ContinuousClock.now
        _ = try await transport.send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/webhooks/github")!, headers: [
            ("X-GitHub-Event", "branch_protection_rule"), ("X-GitHub-Delivery", UUID().uuidString), ("Content-Type", "application/json"),
            ("X-Hub-Signature-256", "sha256=" + HMACSignature.hex(message: body, key: Data(secret.utf8))),
        ], body: body))
        let resource = "github:northwind/repo-\(n)"
        while try database.read({ tx in try tx.liveAlerts(control: "branch-protection")[resource] == nil }) {
            try await Task.sleep(for: .microseconds(200))
            require(ContinuousClock.now - started < .seconds(10), "webhook \(n) raised no alert within 10 s")
        }
        latencies.append(ContinuousClock.now - started)
    }
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Duration { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    func ms(_ d: Duration) -> String { String(format: "%.1f ms", seconds(d) * 1000) }
    print("  webhooks: p50 \(ms(percentile(0.5))), p99 \(ms(percentile(0.99)))")
    rows.append(BenchRow(benchmark: "signed GitHub webhook → control re-run → alert in the outbox, \(webhooks) one at a time",
                         result: "p50 \(ms(percentile(0.5))), p90 \(ms(percentile(0.9))), p99 \(ms(percentile(0.99))), max \(ms(sorted.last!))",
                         target: "—", ok: nil))
    return rows
}

/// The synthetic organisation: HR, five account systems, and repositories whose protection the benchmark flips.
final class SyntheticOrganisation: FactSource, Sendable {
    let id: SourceID = "github"
    let provides: Set<FactKind> = [.people, .accounts, .repositories]
    let people: [HRPerson]
    let accounts: [Account]
    private let repositories: Mutex<[Repository]>

    init(people count: Int) {
        let terminated = Date().addingTimeInterval(-3 * 86_400)
        people = (0..<count).map { i in
            HRPerson(employeeID: "\(i)", name: "Person \(i)", email: "person\(i)@example.com", status: i % 67 == 0 ? .terminated : .active,
                     terminatedAt: i % 67 == 0 ? terminated : nil)
        }
        accounts = ["Okta", "Google", "GitHub", "AWS", "Entra"].enumerated().flatMap { index, system in
            (0..<count).map { i in
                Account(system: system, login: "person\(i)", email: "person\(i)@example.com",
                        active: i % 67 != 0 || (i + index) % 3 == 0, mfaEnabled: (i + index) % 33 != 0, privileged: i % 50 == 0,
                        roles: i % 50 == 0 ? ["admin"] : ["member"], lastLoginAt: Date())
            }
        }
        repositories = Mutex((0..<200).map { Repository(host: "GitHub", name: "northwind/repo-\($0)", protected: true, requiredReviews: 2) })
    }

    func unprotect(_ n: Int) { repositories.withLock { $0[n % $0.count].protected = false } }

    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        var facts = Facts()
        if kinds.contains(.people) { facts.people = people }
        if kinds.contains(.accounts) { facts.accounts = accounts }
        if kinds.contains(.repositories) { facts.repositories = repositories.withLock { $0 } }
        return facts
    }
}
