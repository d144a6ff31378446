import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization

/// Counts the requests a run makes.
final class CountingTransport: HTTPTransport {
    let base: any HTTPTransport
    private let count = Mutex(0)
    var requests: Int { count.withLock { $0 } }
    init(base: any HTTPTransport) { self.base = base }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        count.withLock { $0 += 1 }
        return try await base.send(request)
    }
}

/// A full AWS run against the moto server scripts/bench-aws seeded: every fact kind the aws source reads, then the
/// AWS controls on those facts. Reports wall time, requests and peak RSS; one run (moto's state is what it is).
func benchAWS() async throws -> [BenchRow] {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["SOC2BOT_BENCH_AWS_URL"] else {
        require(false, "the aws benchmark needs a seeded moto server: run scripts/bench-aws")
        return []
    }
    let sizes = environment["SOC2BOT_BENCH_AWS_SIZES"] ?? "?"
    let transport = CountingTransport(base: RetryingTransport(base: URLSessionTransport(timeout: 30)))
    let source = try AWSSource(config: SourceConfig(id: "aws", kind: "aws", credentialVariables: ["access_key_id": "K", "secret_access_key": "S"],
                                                    settings: ["endpoint": .string(endpoint)]),
                               environment: ["K": "AKIDSOC2BOTBENCH", "S": "bench"], transport: transport)
    let kinds: [FactKind] = [.buckets, .accounts, .networkRules, .auditTrails, .passwordPolicies, .databases, .encryptionKeys]
    var rows: [BenchRow] = []
    var facts = Facts()
    var total = Duration.zero
    for kind in kinds {
        let before = transport.requests
        let start = ContinuousClock.now
        facts.merge(try await source.facts([kind]))
        let took = ContinuousClock.now - start
        total += took
        let count: Int = switch kind {
        case .buckets: facts.buckets?.count ?? 0
        case .accounts: facts.accounts?.count ?? 0
        case .networkRules: facts.networkRules?.count ?? 0
        case .auditTrails: facts.auditTrails?.count ?? 0
        case .passwordPolicies: facts.passwordPolicies?.count ?? 0
        case .databases: facts.databases?.count ?? 0
        default: facts.encryptionKeys?.count ?? 0
        }
        rows.append(BenchRow(benchmark: "  aws \(kind.rawValue): \(grouped(count)) read", result: "\(formatSeconds(took)), \(grouped(transport.requests - before)) requests",
                             target: "—", ok: nil))
    }
    let checkTypes = ["storage_encryption", "storage_public_access", "mfa", "access_key_age", "network_exposure", "audit_logging",
                      "password_policy", "database_encryption", "key_rotation"]
    let start = ContinuousClock.now
    var failing = 0
    for type in checkTypes {
        let check = try CheckFactory.make(CheckSpec(type: type, sources: ["aws"]))
        failing += check.evaluate(facts, at: Date()).filter { $0.status == .fail }.count
    }
    let judging = ContinuousClock.now - start
    rows.insert(BenchRow(benchmark: "full AWS run on moto (\(sizes) buckets/users/security groups)",
                         result: "\(formatSeconds(total)) wall, \(grouped(transport.requests)) requests, \(checkTypes.count) controls judged in \(formatSeconds(judging)) (\(grouped(failing)) failing resources)",
                         target: "—", ok: nil), at: 0)
    rows.append(BenchRow(benchmark: "  resident memory after the run", result: "RSS \(memoryKiB("VmRSS") / 1024) MiB, peak \(memoryKiB("VmHWM") / 1024) MiB",
                         target: "—", ok: nil))
    return rows
}
