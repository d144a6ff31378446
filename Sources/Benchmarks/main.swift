import Core
import Engine
import Foundation
import Store

// soc2bot-bench: the storage and reconcile budget, measured on a file database (WAL, synchronous=FULL) in a
// scratch directory. Wall time by ContinuousClock; the median of 3 runs where a run is cheap.
//
//   swift run -c release soc2bot-bench            full sizes (the 1M-entry ledger takes a few minutes to build)
//   swift run -c release soc2bot-bench --quick    sizes ÷10, for smoke runs; the targets stay those of full sizes
//   … --only reconcile|appends|verify|slack       one group of benchmarks (slack: signed Slack requests at 200/s, then
//                                                  /soc2 status while 300 slow-body clients hang)
//   … --only identity                             10,000 people × 5 systems through offboarding and MFA; webhook latency
//   … --only endpoints                            5,000 devices and 1,000 people through the endpoint and training controls
//   … --only metrics                              status, metrics, digest and /metrics over a 1,000,000-entry ledger
//   … --only year [--days N]                      a simulated year (N days) of the demo's 15 controls every 5 min through the
//                                                  real loop: step time in the first and last month, wall time, peak RSS
//                                                  (run from the repository root: it reads manifests/demo)
//   … --only pg-ledger                            the ledger on PostgreSQL: appends in transactions of 100, verify of a
//                                                  1,000,000-entry ledger (needs SOC2BOT_TEST_POSTGRES_URL; not in the default groups)
//   … --only pg-outbox                            2 replicas draining one outbox on PostgreSQL to a surface that answers at
//                                                  once: messages/s (needs SOC2BOT_TEST_POSTGRES_URL; not in the default groups)
//   scripts/bench-matrix                           the Matrix round trip on a loopback Synapse (--only matrix)
//   scripts/bench-aws                              a full AWS run on a seeded moto server (--only aws)

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print("usage: soc2bot-bench [--quick] [--only reconcile|appends|verify|slack|identity|endpoints|metrics|year|matrix|aws|pg-ledger|pg-outbox] [--days N]   (matrix, aws: through scripts/bench-matrix, scripts/bench-aws; pg-ledger, pg-outbox: need SOC2BOT_TEST_POSTGRES_URL; year, pg-ledger, pg-outbox: not in the default groups)")
    exit(0)
}
let quick = arguments.contains("--quick")
let groups: Set<String> = {
    guard let i = arguments.firstIndex(of: "--only"), i + 1 < arguments.count else { return ["reconcile", "appends", "verify", "slack", "identity", "endpoints", "metrics"] }
    return Set(arguments[i + 1].split(separator: ",").map(String.init))
}()
let scale = quick ? 10 : 1
let clock = ContinuousClock()
let t0 = Date(timeIntervalSince1970: 1_772_000_000)

/// One line of the results table.
struct BenchRow {
    var benchmark: String
    var result: String
    var target: String
    /// nil when the row has no target.
    var ok: Bool?
}

var table: [BenchRow] = []

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ durations: [Duration]) -> Duration { durations.sorted()[durations.count / 2] }

/// `1234567` → `1,234,567`.
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

func formatSeconds(_ duration: Duration) -> String { String(format: "%.3f s", seconds(duration)) }

/// Runs `body` with a fresh scratch directory, removed afterwards.
func withScratchDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

func fileDatabase(in directory: URL) throws -> BotDatabase {
    try BotDatabase.open(path: directory.appendingPathComponent("bench.sqlite").path)
}

/// Stops the run when a benchmark did not do the work it claims to measure.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("soc2bot-bench: \(message())\n".utf8))
        exit(1)
    }
}

// MARK: - Setup: one team, one per-resource control

let control = Control(
    id: "mfa-enforced", title: "MFA enforced", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
    cadence: 3_600, check: CheckSpec(type: "mfa_enforced"), remediation: "enforce MFA for the account in Okta",
    grouping: .perResource)
let config = BotConfig(
    organisation: "Bench", people: [Person(id: "sam", name: "Sam", email: "sam@example.com", team: "infra", chatIDs: [.slack: "U0SAM"])],
    teams: [Team(id: "infra", name: "Infrastructure", manager: "sam", channels: ChannelRoutes(defaults: [.slack: "C0INFRA"]))],
    securityLeads: ["sam"], controls: [control])

let cores = ProcessInfo.processInfo.activeProcessorCount
print("soc2bot-bench: \(cores) active cores (\(ProcessInfo.processInfo.processorCount) present), "
      + (quick ? "--quick: sizes ÷10, targets as for full sizes" : "full sizes"))

// MARK: - Reconcile 100,000 results of one control

let resourceCount = 100_000 / scale
let failingCount = resourceCount / 100

func result(_ i: Int, failing: Bool) -> CheckResult {
    CheckResult(resource: ResourceRef(id: "okta:user\(i)", name: "user\(i)@example.com", kind: "account"),
                status: failing ? .fail : .pass, expected: "MFA enforced", observed: failing ? "MFA off" : "MFA on (TOTP)")
}
let onePercentFailing = (0..<resourceCount).map { result($0, failing: $0 % 100 == 0) }
let allPassing = (0..<resourceCount).map { result($0, failing: false) }

var firstRuns: [Duration] = []
var steadyRuns: [Duration] = []
var resolveRuns: [Duration] = []
for run in 1...3 where groups.contains("reconcile") {
    try withScratchDirectory { dir in
        let engine = AlertEngine(config: config, database: try fileDatabase(in: dir))
        var summary: AlertEngine.RunSummary?

        firstRuns.append(try clock.measure { summary = try engine.reconcile(control, results: onePercentFailing, at: t0) })
        require(summary?.opened.count == failingCount, "first run opened \(summary?.opened.count ?? -1) alerts, expected \(failingCount)")

        steadyRuns.append(try clock.measure { summary = try engine.reconcile(control, results: onePercentFailing, at: t0 + 3_600) })
        require(summary?.opened.isEmpty == true && summary?.resolved.isEmpty == true && summary?.updated.isEmpty == true,
                "steady state changed alerts: \(String(describing: summary))")

        resolveRuns.append(try clock.measure { summary = try engine.reconcile(control, results: allPassing, at: t0 + 7_200) })
        require(summary?.resolved.count == failingCount, "all-passing run resolved \(summary?.resolved.count ?? -1), expected \(failingCount)")
    }
    print("  reconcile run \(run)/3: first \(formatSeconds(firstRuns.last!)), steady \(formatSeconds(steadyRuns.last!)), resolve \(formatSeconds(resolveRuns.last!))")
}
let n = grouped(resourceCount)
for (name, runs) in [("reconcile \(n) results, 1% failing, first run (\(grouped(failingCount)) opened)", firstRuns),
                     ("reconcile \(n) results, steady state (no change)", steadyRuns),
                     ("reconcile \(n) results, all passing (\(grouped(failingCount)) resolved)", resolveRuns)] where !runs.isEmpty {
    let m = median(runs)
    table.append(BenchRow(benchmark: name, result: formatSeconds(m) + " (median of 3)", target: "< 1 s", ok: m < .seconds(1)))
}

// MARK: - Ledger appends per second

let appendCount = 100_000 / scale

/// A control run's record: a realistic ledger payload (about 200 bytes of canonical JSON).
func runRecord(_ i: Int) -> CheckRunRecord {
    CheckRunRecord(control: "mfa-enforced", at: t0 + Double(i), passed: 99_000, failed: 1_000, errors: 0,
                   digest: "9f2c4e1a7b3d5f6081a2c3e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718")
}

/// Appends `count` entries in transactions of `batch`; returns the elapsed time.
func appendEntries(_ database: BotDatabase, count: Int, batch: Int, progressEvery: Int? = nil) throws -> Duration {
    var written = 0
    return try clock.measure {
        while written < count {
            let size = min(batch, count - written)
            let start = written
            try database.write { tx in
                for i in start..<(start + size) {
                    try tx.appendEvidence(kind: "control_run", subject: "control:mfa-enforced", at: t0 + Double(i), data: runRecord(i))
                }
            }
            written += size
            if let every = progressEvery, written % every == 0 {
                print("  … \(grouped(written)) / \(grouped(count)) entries")
            }
        }
    }
}

for batch in [100, 1] where groups.contains("appends") {
    let runs = batch == 1 ? 1 : 3
    var durations: [Duration] = []
    for _ in 1...runs {
        try withScratchDirectory { dir in
            let database = try fileDatabase(in: dir)
            durations.append(try appendEntries(database, count: appendCount, batch: batch))
            require(try database.read { try $0.ledgerHead()?.seq } == Int64(appendCount), "ledger head is not entry \(appendCount)")
        }
    }
    let rate = Double(appendCount) / seconds(median(durations))
    let how = runs == 1 ? "" : ", median of 3"
    print("  ledger appends, transactions of \(batch): \(grouped(Int(rate)))/s")
    table.append(BenchRow(
        benchmark: "ledger appends, \(grouped(appendCount)) in transactions of \(batch)",
        result: "\(grouped(Int(rate))) /s (\(formatSeconds(median(durations)))\(how))",
        target: batch == 1 ? "— (one fsync per entry)" : "≥ 20,000 /s",
        ok: batch == 1 ? nil : rate >= 20_000))
}

// MARK: - Verify a 1,000,000-entry ledger

let ledgerSize = 1_000_000 / scale
if groups.contains("verify") { try withScratchDirectory { dir in
    let database = try fileDatabase(in: dir)
    print("  building a \(grouped(ledgerSize))-entry ledger (transactions of 10,000)…")
    let build = try appendEntries(database, count: ledgerSize, batch: 10_000, progressEvery: ledgerSize / 10)
    let size = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
    table.append(BenchRow(
        benchmark: "ledger build, \(grouped(ledgerSize)) entries in transactions of 10,000",
        result: "\(grouped(Int(Double(ledgerSize) / seconds(build)))) /s (\(formatSeconds(build)), \(size / 1_048_576) MiB)",
        target: "—", ok: nil))

    var durations: [Duration] = []
    for run in 1...3 {
        var verdict: LedgerVerdict?
        durations.append(try clock.measure { verdict = try database.read { try $0.verifyLedger() } })
        guard case .intact(let entries, _) = verdict, entries == Int64(ledgerSize) else {
            require(false, "verify said \(String(describing: verdict))")
            return
        }
        print("  verify run \(run)/3: \(formatSeconds(durations.last!))")
    }
    let m = median(durations)
    table.append(BenchRow(
        benchmark: "verify \(grouped(ledgerSize))-entry ledger",
        result: "\(formatSeconds(m)) (median of 3, \(grouped(Int(Double(ledgerSize) / seconds(m)))) entries/s)",
        target: "< 2 s", ok: m < .seconds(2)))

    // What `run` and `demo --resume` do before appending: the same verification in a write transaction, plus the
    // append-only triggers' check.
    var starts: [Duration] = []
    for _ in 1...3 {
        var check: LedgerStartCheck?
        starts.append(try clock.measure { check = try database.prepareLedgerForAppending(now: t0) })
        require(check?.entries == Int64(ledgerSize) && check?.restoredTriggers == [], "the start check said \(String(describing: check))")
    }
    table.append(BenchRow(
        benchmark: "start check of a \(grouped(ledgerSize))-entry ledger (verify + append-only triggers)",
        result: "\(formatSeconds(median(starts))) (median of 3)", target: "< 2 s", ok: median(starts) < .seconds(2)))
} }

// MARK: - Slack HTTP mode at 200 signed requests per second

if groups.contains("slack") {
    table += try await benchSlackHTTP(rate: 200, seconds: quick ? 3 : 15)
    table += try await benchSlackSlowBodies(slowClients: 300, tricklers: 10, requests: quick ? 60 : 200, rate: 20)
}

// MARK: - Identity: offboarding and MFA over 10,000 people in 5 systems; webhook → outbox

if groups.contains("identity") {
    table += try await benchIdentity(people: 10_000 / scale, webhooks: quick ? 20 : 100)
}

// MARK: - Endpoints and training: 5,000 devices, 1,000 people

if groups.contains("endpoints") {
    table += try await benchEndpoints(devices: 5_000 / scale, people: 1_000 / scale)
}

// MARK: - Metrics over a 1,000,000-entry ledger

if groups.contains("metrics") {
    table += try await benchMetrics(ledgerSize: 1_000_000 / scale)
}

// MARK: - A simulated year through the real loop (not part of the default groups: it takes about a minute)

if groups.contains("year") {
    let days = arguments.firstIndex(of: "--days").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? (quick ? 36 : 365)
    require((31...366).contains(days), "--days takes 31…366")
    table += try await benchYear(manifests: "manifests/demo", days: days)
}

// MARK: - Matrix round trip (needs the Synapse scripts/bench-matrix starts; not part of the default groups)

if groups.contains("matrix") {
    table += try await benchMatrix(commands: quick ? 20 : 100)
}

// MARK: - AWS (needs the seeded moto scripts/bench-aws starts; not part of the default groups)

if groups.contains("aws") {
    table += try await benchAWS()
}

// MARK: - The ledger on PostgreSQL (needs SOC2BOT_TEST_POSTGRES_URL; not part of the default groups)

if groups.contains("pg-ledger") {
    let url = ProcessInfo.processInfo.environment["SOC2BOT_TEST_POSTGRES_URL"] ?? ""
    require(!url.isEmpty, "--only pg-ledger needs SOC2BOT_TEST_POSTGRES_URL (a server on loopback, e.g. scripts/peers' start_postgres_peer)")
    table += try benchPostgresLedger(url: url, appends: appendCount, ledgerSize: ledgerSize, at: t0, record: runRecord)
}

if groups.contains("pg-outbox") {
    let url = ProcessInfo.processInfo.environment["SOC2BOT_TEST_POSTGRES_URL"] ?? ""
    require(!url.isEmpty, "--only pg-outbox needs SOC2BOT_TEST_POSTGRES_URL (a server on loopback, e.g. scripts/peers' start_postgres_peer)")
    table += try await benchPostgresOutbox(url: url, alerts: 2_500 / scale, at: t0)
}

// MARK: - Table

print("")
print("| benchmark | result | target | ok |")
print("|---|---|---|---|")
for row in table {
    print("| \(row.benchmark) | \(row.result) | \(row.target) | \(row.ok.map { $0 ? "yes" : "NO" } ?? "—") |")
}
print("")
print("cores: \(cores)\(quick ? "; --quick sizes (÷10)" : "")")
