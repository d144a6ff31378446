import Chat
import Core
import Engine
import Foundation
import Logging
import Postgres
import PostgresStore
import Store
import Synchronization

/// `--only pg-outbox`: delivery from two replicas on PostgreSQL, in a scratch database (dropped afterwards) on the
/// server `SOC2BOT_TEST_POSTGRES_URL` names. Queues `alerts` alerts' posts and three edits each, then two dispatchers
/// (each its own `PostgresBackend`, as two processes would have) drain them at once to a surface that answers at
/// once: claims, the attempt recorded before each send, the delivery and its ledger entry. Messages/s over the whole
/// drain, every message delivered once (checked).
func benchPostgresOutbox(url: String, alerts: Int, at t0: Date) async throws -> [BenchRow] {
    let name = "soc2bot_bench_" + UUID().uuidString.prefix(8).lowercased()
    let admin = try PostgresConnection(url: url)
    try admin.execute("CREATE DATABASE \(name)")
    defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    let replicas = try (0..<2).map { _ in BotDatabase(backend: try PostgresBackend(url: url, settings: ["dbname": name], poolSize: 2)) }
    defer { for replica in replicas { try? replica.close() } }

    let channel = ChatDestination.channel(.slack, "C0BENCH")
    try replicas[0].write { tx in
        for step in 0...3 {
            for alert in 1...alerts {
                let message = ChatMessage(title: "bench", threadLine: "\(alert)/\(step)")
                try tx.enqueue(alert: AlertID(Int64(alert)), kind: step == 0 ? .post : .update, destination: channel,
                               payload: try StoreJSON.encode(message), at: t0)
            }
        }
    }
    let total = alerts * 4
    let surface = NullSurface()
    let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let virtual = VirtualClock(start: t0)
    let dispatchers = replicas.map { Dispatcher(database: $0, surfaces: [surface], clock: virtual, logger: logger) }
    var perReplica: [Int] = []
    let elapsed = try await clock.measure {
        perReplica = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, dispatcher) in dispatchers.enumerated() {
                group.addTask {
                    var sent = 0
                    while try replicas[index].read({ try $0.outboxDepth() }) > 0 { sent += try await dispatcher.drain(); await Task.yield() }
                    return sent
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
    }
    require(perReplica.reduce(0, +) == total && surface.count == total,
            "pg-outbox: \(perReplica) recorded, \(surface.count) sent, \(total) queued")
    let rate = Double(total) / seconds(elapsed)
    print("  PostgreSQL outbox: \(grouped(total)) messages by 2 replicas (\(perReplica.map(grouped).joined(separator: " + "))) in \(formatSeconds(elapsed))")
    return [BenchRow(benchmark: "PostgreSQL: outbox delivered by 2 replicas (claim, attempt, delivery + ledger entry), \(grouped(total)) messages",
                     result: "\(grouped(Int(rate))) /s (\(formatSeconds(elapsed)); \(perReplica.map(grouped).joined(separator: " + ")))",
                     target: "—", ok: nil)]
}

/// A chat surface that answers at once and counts: what the dispatchers cost without a platform.
private final class NullSurface: ChatSurface {
    let platform = ChatPlatform.slack
    private let sent = Mutex(0)
    var count: Int { sent.withLock { $0 } }
    func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        sent.withLock { $0 += 1 }
        return nil      // no message reference: the benchmark's alerts are not in the database
    }
}
