import Core
import Foundation
import PostgresStore
import Store
import Testing
import TestSupport

/// Several replicas (each its own `BotDatabase` on the same PostgreSQL database, as separate processes would be)
/// writing the same thing at the same moment: the database decides, so exactly one of them wins.
@Suite("The store shared by replicas on PostgreSQL", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresReplicaStoreTests {
    static let replicas = 6

    /// Runs `body(replica, database)` on `replicas` threads at once, each with a store of its own on one database.
    func onReplicas(_ body: @escaping @Sendable (Int, BotDatabase) throws -> Void) throws {
        try PostgresPeer.withFreshDatabase { settings in
            let url = try PostgresPeer.peerURL
            let databases = try (0..<Self.replicas).map { _ in BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 1)) }
            try PostgresPeer.onThreads(Self.replicas) { replica in try body(replica, databases[replica]) }
            for database in databases { try database.close() }
        }
    }

    /// A signed request (or Socket Mode envelope) delivered to every replica at once is accepted by exactly one: the
    /// replay cache is the database's.
    @Test func aRequestDeliveredToEveryReplicaAtOnceIsAcceptedByOne() throws {
        for round in 0..<5 {
            let accepted = Tally()
            try onReplicas { _, database in
                if try database.write({ try $0.firstSighting("v0=sig-\(round)", now: Sample.t0, expires: Sample.at(300)) }) {
                    accepted.add()
                }
            }
            #expect(accepted.value == 1, "round \(round)")
        }
    }

    /// Replicas that each find the same failing resource at once open one alert between them: the others are refused
    /// by the database (one live alert per control and resource) and write nothing.
    @Test func replicasOpeningTheSameAlertAtOnceOpenOne() throws {
        let control = Sample.control()
        let sla = Sample.config().sla(for: control)
        let opened = Tally()
        let refused = Tally()
        try PostgresPeer.withFreshDatabase { settings in
            let url = try PostgresPeer.peerURL
            let databases = try (0..<Self.replicas).map { _ in BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 1)) }
            try PostgresPeer.onThreads(Self.replicas) { replica in
                do {
                    _ = try databases[replica].write { tx in
                        try tx.setCursor("replica-\(replica)", "wrote")
                        return try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla)
                    }
                    opened.add()
                } catch {
                    refused.add()
                }
            }
            let alerts = try databases[0].read { try $0.alerts() }
            #expect(alerts.count == 1 && alerts.first?.episode == 1)
            let cursors = try databases[0].read { tx in try (0..<Self.replicas).compactMap { try tx.cursor("replica-\($0)") } }
            #expect(cursors.count == 1, "only the winner's transaction landed")
            for database in databases { try database.close() }
        }
        #expect(opened.value == 1)
        #expect(refused.value == Self.replicas - 1)
    }

    /// Each replica keeps the bodies it decoded (as SQLite's store does), keyed by their bytes: an alert another
    /// replica changed is read as it is now, never as this replica last saw it.
    @Test func aBodyAnotherReplicaChangedIsReadAsItIsNow() throws {
        let control = Sample.control()
        let sla = Sample.config().sla(for: control)
        try PostgresPeer.withFreshDatabase { settings in
            let url = try PostgresPeer.peerURL
            let first = try PostgresBackend(url: url, settings: settings, poolSize: 1)
            let one = BotDatabase(backend: first), two = BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 1))
            let opened = try one.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
            #expect(first.database.decoded.count == 1, "the alert written is kept as decoded")
            #expect(try one.read { try $0.liveAlerts(control: control.id) } == ["okta:ann": opened])

            var acknowledged = opened
            acknowledged.state = .acknowledged
            acknowledged.acknowledgedBy = "dana"
            acknowledged.version = 2
            try two.write { try $0.saveAlert(acknowledged, expectedVersion: 1) }

            #expect(try one.read { try $0.alert(opened.id) } == acknowledged)
            #expect(try one.read { try $0.liveAlerts(control: control.id) } == ["okta:ann": acknowledged])
            try one.close()
            try two.close()
        }
    }
}

/// A count several threads add to.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
