import Checks
import Core
import FactSources
import Foundation
import HTTP

/// A full AWS run against the moto server scripts/bench-aws seeded (directly, or through its latency proxy): every
/// fact kind the aws source reads, read once as one step reads it, then every AWS control of the starter set on
/// those facts. Reports wall time, requests per API action and peak RSS; one run (moto's state is what it is). The
/// source sends through its limiter as in the bot, at `max_concurrency` SOC2BOT_BENCH_AWS_CONCURRENCY (default 16, the
/// bot's default).
func benchAWS() async throws -> [BenchRow] {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["SOC2BOT_BENCH_AWS_URL"] else {
        require(false, "the aws benchmark needs a seeded moto server: run scripts/bench-aws")
        return []
    }
    let sizes = environment["SOC2BOT_BENCH_AWS_SIZES"] ?? "?"
    let latency = environment["SOC2BOT_BENCH_AWS_LATENCY"].map { "\($0) ms added a request" } ?? "no added latency"
    let concurrency = environment["SOC2BOT_BENCH_AWS_CONCURRENCY"].flatMap(Int.init) ?? SourceLimits.defaultMaxConcurrency
    let settings: [String: ConfigValue] = ["endpoint": .string(endpoint), "max_concurrency": .number(Double(concurrency))]
    // As `Bot.sources` builds a live client's transport: retries above the source's limiter.
    let limiter = SourceLimiter(limits: try SourceLimits(source: "aws", settings: settings), clock: SystemClock())
    let transport = AWSRequestCounter(base: RetryingTransport(base: SourceLimitedTransport(base: URLSessionTransport(timeout: 60), limiter: limiter), clock: SystemClock()))
    let source = try AWSSource(config: SourceConfig(id: "aws", kind: "aws", credentialVariables: ["access_key_id": "K", "secret_access_key": "S"],
                                                    settings: settings),
                               environment: ["K": "AKIDSOC2BOTBENCH", "S": "bench"], transport: transport, clock: SystemClock())
    let kinds: Set<FactKind> = [.buckets, .accounts, .networkRules, .auditTrails, .passwordPolicies, .databases, .encryptionKeys]
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    let cpuBefore = cpuSeconds()
    let start = ContinuousClock.now
    let facts = try await source.facts(kinds)
    let took = ContinuousClock.now - start
    let cpu = cpuSeconds() - cpuBefore

    // The starter set's AWS controls (manifests/controls.yaml), judged on the one read.
    let checks: [CheckSpec] = [
        CheckSpec(type: "unmatched_accounts", sources: ["aws"], parameters: ["ignore": .list([.string("aws:<root_account>")])]),
        CheckSpec(type: "privileged_access", sources: ["aws"]),
        CheckSpec(type: "mfa", sources: ["aws"], parameters: ["privileged_only": .bool(true)]),
        CheckSpec(type: "root_mfa", sources: ["aws"]),
        CheckSpec(type: "inactive_accounts", sources: ["aws"]),
        CheckSpec(type: "access_key_age", sources: ["aws"]),
        CheckSpec(type: "storage_encryption", sources: ["aws"]), CheckSpec(type: "storage_public_access", sources: ["aws"]),
        CheckSpec(type: "network_exposure", sources: ["aws"]), CheckSpec(type: "audit_logging", sources: ["aws"]),
        CheckSpec(type: "password_policy", sources: ["aws"]), CheckSpec(type: "database_encryption", sources: ["aws"]),
        CheckSpec(type: "database_public_access", sources: ["aws"]), CheckSpec(type: "key_rotation", sources: ["aws"]),
    ]
    let judgingStart = ContinuousClock.now
    var failing = 0
    for spec in checks {
        failing += try CheckFactory.make(spec).evaluate(facts, at: Date()).filter { $0.status == .fail }.count
    }
    let judging = ContinuousClock.now - judgingStart

    let counts = transport.byAction
    let buckets = facts.buckets?.count ?? 0, users = max(0, (facts.accounts?.count ?? 0) - 1)
    let s3Requests: Int = counts.filter { $0.key.hasPrefix("s3 ") && $0.key != "s3 ListBuckets" }.values.reduce(0, +)
    let s3PerBucket: Double = buckets == 0 ? 0 : Double(s3Requests) / Double(buckets)
    let iam: Int = transport.requests(to: "iam")
    let perUserActions: Set<String> = ["iam ListAccessKeys", "iam GetUser", "iam GetLoginProfile", "iam ListMFADevices"]
    let perUserIAM: Int = counts.filter { perUserActions.contains($0.key) }.values.reduce(0, +)
    var rows = [
        BenchRow(benchmark: "AWS read on moto, \(latency), max_concurrency \(concurrency) (\(sizes) buckets/users/security groups/RDS/KMS)",
                 result: "\(formatSeconds(took)) wall (the bot's CPU \(String(format: "%.1f", cpu)) s), \(grouped(transport.requests)) requests; \(checks.count) controls judged in \(formatSeconds(judging)) (\(grouped(failing)) failing resources)",
                 target: "—", ok: nil),
        BenchRow(benchmark: "  S3 requests a bucket (\(grouped(buckets)) buckets)", result: String(format: "%.2f", s3PerBucket), target: "≤ 3",
                 ok: s3PerBucket <= 3),
        BenchRow(benchmark: "  IAM requests for \(grouped(users)) users", result: "\(grouped(iam)) (\(grouped(perUserIAM)) of them per user: users created since the credential report)",
                 target: "not growing per user", ok: nil),
    ]
    for (action, count) in counts.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
        rows.append(BenchRow(benchmark: "    \(action)", result: "\(grouped(count)) requests", target: "—", ok: nil))
    }
    rows.append(BenchRow(benchmark: "  resident memory after the run", result: "RSS \(memoryKiB("VmRSS") / 1024) MiB, peak \(memoryKiB("VmHWM") / 1024) MiB",
                         target: "< 120 MiB", ok: memoryKiB("VmHWM") / 1024 < 120))
    return rows
}
