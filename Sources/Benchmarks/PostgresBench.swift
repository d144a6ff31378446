import Foundation
import Postgres
import PostgresStore
import Store

/// `--only pg-ledger`: the evidence ledger on PostgreSQL, in a scratch database (dropped afterwards) on the server
/// `SOC2BOT_TEST_POSTGRES_URL` names (scripts/peers' `start_postgres_peer`: loopback, default durability, fsync on).
/// Appends `appends` entries in transactions of 100 three times (the median counts), builds the ledger to
/// `ledgerSize` entries in transactions of 10,000, then verifies it three times (cursor batches, bytes checked in place).
func benchPostgresLedger(url: String, appends: Int, ledgerSize: Int, at t0: Date,
                         record: @escaping (Int) -> CheckRunRecord) throws -> [BenchRow] {
    let name = "soc2bot_bench_" + UUID().uuidString.prefix(8).lowercased()
    let admin = try PostgresConnection(url: url)
    try admin.execute("CREATE DATABASE \(name)")
    defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    let database = try PostgresDatabase(url: url, settings: ["dbname": name], poolSize: 1)
    defer { database.close() }
    var written = 0
    func append(_ count: Int, batch: Int, progressEvery: Int? = nil) throws -> Duration {
        try clock.measure {
            var done = 0
            while done < count {
                let size = min(batch, count - done)
                let start = written
                try database.write { tx in
                    for i in start..<(start + size) {
                        try tx.appendEvidence(kind: "control_run", subject: "control:mfa-enforced", at: t0 + Double(i), data: record(i))
                    }
                }
                written += size
                done += size
                if let every = progressEvery, written % every == 0 { print("  … \(grouped(written)) / \(grouped(ledgerSize)) entries") }
            }
        }
    }
    var rows: [BenchRow] = []

    var durations: [Duration] = []
    for run in 1...3 {
        durations.append(try append(appends, batch: 100))
        print("  PostgreSQL ledger appends run \(run)/3: \(grouped(Int(Double(appends) / seconds(durations.last!))))/s")
    }
    let rate = Double(appends) / seconds(median(durations))
    rows.append(BenchRow(benchmark: "PostgreSQL: ledger appends, \(grouped(appends)) in transactions of 100",
                         result: "\(grouped(Int(rate))) /s (\(formatSeconds(median(durations))), median of 3)",
                         target: "≥ 5,000 /s", ok: rate >= 5_000))

    print("  building a \(grouped(ledgerSize))-entry ledger on PostgreSQL (transactions of 10,000)…")
    let remaining = max(0, ledgerSize - written)
    let build = try append(remaining, batch: 10_000, progressEvery: ledgerSize / 10)
    let size = try admin.query("SELECT pg_database_size($1)", [.text(name)])[0].decode(Int64.self, at: 0)
    rows.append(BenchRow(benchmark: "PostgreSQL: ledger build, \(grouped(remaining)) entries in transactions of 10,000",
                         result: "\(grouped(Int(Double(remaining) / seconds(build)))) /s (\(formatSeconds(build)), database \(size / 1_048_576) MiB)",
                         target: "—", ok: nil))

    // CPU time of this process and of the server process serving the pool's one session (same machine: loopback),
    // to tell the two sides' work from waiting on a loaded machine.
    let serverPID = try database.pool.withConnection { $0.backendPID }
    var verifies: [Duration] = []
    var cpu: [(client: Double, server: Double)] = []
    for run in 1...3 {
        var verdict: LedgerVerdict?
        let (client0, server0) = (processCPUSeconds(), serverCPUSeconds(pid: serverPID))
        verifies.append(try clock.measure { verdict = try database.read { try $0.verifyLedger() } })
        cpu.append((processCPUSeconds() - client0, serverCPUSeconds(pid: serverPID) - server0))
        require(verdict == .intact(entries: Int64(written), head: (try database.read { try $0.ledgerHead() })?.hash ?? ""),
                "PostgreSQL verify said \(String(describing: verdict))")
        print("  PostgreSQL verify run \(run)/3: \(formatSeconds(verifies.last!)) (CPU: client \(String(format: "%.2f", cpu.last!.client)) s, server \(String(format: "%.2f", cpu.last!.server)) s)")
    }
    let m = median(verifies)
    let cpuOfMedian = cpu[verifies.firstIndex(of: m)!]
    rows.append(BenchRow(benchmark: "PostgreSQL: verify \(grouped(written))-entry ledger",
                         result: "\(formatSeconds(m)) (median of 3, \(grouped(Int(Double(written) / seconds(m)))) entries/s; CPU client "
                             + String(format: "%.2f s, server %.2f s)", cpuOfMedian.client, cpuOfMedian.server),
                         target: "< 3 s", ok: m < .seconds(3)))
    return rows
}

/// User + system CPU seconds of this process so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// User + system CPU seconds of process `pid` so far, from /proc/PID/stat (fields 14 and 15, in clock ticks); 0 when
/// it cannot be read (the server on another machine).
func serverCPUSeconds(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command's `)`: field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and [12].
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
