import Chat
import Core
import Engine
import Foundation
import Logging
import PostgresStore
import Store
import Testing
import TestSupport

/// Replicas delivering one outbox on PostgreSQL (each its own `BotDatabase`, pool and dispatcher, as separate
/// processes would have; one chat platform, the recording surface, that they all send to): every message is sent
/// once, each alert's messages in order; a replica that stops mid-send leaves its message to another once its lease
/// lapses (the same txnId, so Matrix keeps one event); a replica's enqueue wakes the others' delivery.
@Suite("Delivery from any replica on PostgreSQL", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresReplicaDeliveryTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let channel = ChatDestination.channel(.slack, Sample.slackChannel)

    /// `count` stores of their own on one fresh database; closed and the database dropped after `body`.
    func withReplicas<T>(_ count: Int, _ body: ([BotDatabase]) async throws -> T) async throws -> T {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let url = try PostgresPeer.peerURL
        let databases = try (0..<count).map { _ in BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 2)) }
        defer { for database in databases { try? database.close() } }
        return try await body(databases)
    }

    func payload(_ line: String) throws -> Data { try StoreJSON.encode(ChatMessage(title: "alert", threadLine: line)) }

    /// Opens `alerts` alerts (ids 1…) and queues, for each, its post then `updates` edits (interleaved across alerts,
    /// as they come).
    func queue(_ database: BotDatabase, alerts: Int, updates: Int, at: Date) throws -> Int {
        try database.write { tx in
            let control = Sample.control()
            for alert in 1...alerts {
                _ = try tx.openAlert(control: control, draft: Sample.draft("account-\(alert)"), at: at, sla: Sample.hour)
            }
            for step in 0...updates {
                for alert in 1...alerts {
                    try tx.enqueue(alert: AlertID(Int64(alert)), kind: step == 0 ? .post : .update, destination: channel,
                                   payload: try payload("\(alert)/\(step)"), at: at)
                }
            }
        }
        return alerts * (updates + 1)
    }

    @Test(arguments: [2, 3])
    func replicasDrainingOneOutboxSendEachMessageOnceInEachAlertsOrder(_ replicas: Int) async throws {
        try await withReplicas(replicas) { databases in
            let clock = VirtualClock(start: Sample.t0)
            let surface = RecordingSurface(platform: .slack)
            let total = try queue(databases[0], alerts: 40, updates: 3, at: Sample.t0)
            let dispatchers = databases.map { Dispatcher(database: $0, surfaces: [surface], clock: clock, logger: Self.logger) }
            #expect(Set(dispatchers.map(\.claimer)).count == replicas)

            // When every replica drains at once until nothing is left
            let sent = try await withThrowingTaskGroup(of: Int.self) { group in
                for (replica, dispatcher) in dispatchers.enumerated() {
                    group.addTask {
                        var sent = 0
                        for _ in 0..<10_000 {
                            sent += try await dispatcher.drain()
                            if try databases[replica].read({ try $0.outboxDepth() }) == 0 { break }
                            await Task.yield()
                        }
                        return sent
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }

            // Then each message was sent once and recorded once, each alert's post before its edits, in order
            #expect(sent.reduce(0, +) == total)
            let lines = await surface.delivered.compactMap(\.line)
            #expect(lines.count == total && Set(lines).count == total)
            #expect(Set(await surface.txnIDs).count == total)
            for alert in 1...40 {
                #expect(lines.filter { $0.hasPrefix("\(alert)/") } == (0...3).map { "\(alert)/\($0)" }, "alert \(alert)")
            }
            #expect(try databases[0].read { try $0.outboxDepth() } == 0)
            let rows = try databases[0].read { try $0.allOutbox() }
            #expect(rows.allSatisfy { $0.attempts == 1 && $0.claimedBy == nil })
        }
    }

    /// A replica that sent a message and stopped before recording it (paused, killed) holds it only until its lease
    /// lapses: another replica then sends it, once, with the same txnId (Matrix keeps one event for it), and records
    /// it; the first, waking late, can neither record nor mark it, and the alert's next message goes out after it.
    @Test func aReplicaThatStopsMidSendLeavesItsMessageToAnotherOnceItsLeaseLapses() async throws {
        try await withReplicas(2) { databases in
            let clock = VirtualClock(start: Sample.t0)
            let surface = RecordingSurface(platform: .matrix)
            let room = ChatDestination.channel(.matrix, "!infra:hs")
            let ids = try databases[0].write { tx in
                _ = try tx.openAlert(control: Sample.control(), draft: Sample.draft("ann"), at: Sample.t0, sla: Sample.hour)
                return [try tx.enqueue(alert: AlertID(1), kind: .post, destination: room, payload: try payload("post"), at: Sample.t0),
                 try tx.enqueue(alert: AlertID(1), kind: .update, destination: room, payload: try payload("edit"), at: Sample.t0)]
            }
            let first = Dispatcher(database: databases[0], surfaces: [surface], clock: clock, logger: Self.logger, lease: 60)
            let second = Dispatcher(database: databases[1], surfaces: [surface], clock: clock, logger: Self.logger, lease: 60)

            // Given the first replica sending the post and stopping before its answer is recorded
            await surface.holdNext()
            async let stalled = first.drain()
            await surface.waitUntilHeld()

            // While its lease lasts the second replica takes nothing, not even the edit behind the post
            #expect(try await second.drain() == 0)
            #expect(try await second.nextAttempt() == Sample.t0 + 60)
            // Once it lapses the second replica sends the post again, with the same txnId, then the edit
            clock.advance(by: 60)
            #expect(try await second.drain() == 2)
            let txnIDs = try databases[1].read { try $0.allOutbox() }.map(\.txnID)
            #expect(await surface.txnIDs == [txnIDs[0], txnIDs[0], txnIDs[1]])
            #expect(await surface.delivered.map(\.line) == ["post", "post", "edit"])

            // When the first wakes, its answer is not recorded: the second's delivery is the one on record
            await surface.release()
            #expect(try await stalled == 0)
            let rows = try databases[0].read { try $0.allOutbox() }
            #expect(rows.map(\.id) == ids && rows.allSatisfy { $0.deliveredAt != nil && $0.attempts == 1 && $0.claimedBy == nil })
            let deliveries = try databases[0].read { try $0.evidence(subject: "A-1") }
                .filter { String(decoding: $0, as: UTF8.self).contains("chat_delivery") }
            #expect(deliveries.count == 2)
            #expect(try databases[0].read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == ["m2"])
        }
    }

    /// A message queued by one replica wakes another replica's delivery at once, through the database's notification:
    /// the other's delivery service sleeps on a clock that never moves, so nothing but the notification wakes it.
    @Test(.timeLimit(.minutes(1)))
    func aMessageQueuedByOneReplicaWakesAnothersDelivery() async throws {
        try await withReplicas(2) { databases in
            let clock = TestClock(start: Sample.t0)
            let surface = RecordingSurface(platform: .slack)
            let doorbell = Doorbell()
            let dispatcher = Dispatcher(database: databases[1], surfaces: [surface], delivering: .slack, clock: clock, logger: Self.logger,
                                        doorbell: doorbell)
            let delivery = DeliveryService(dispatcher: dispatcher, clock: clock, doorbell: doorbell, idlePoll: 3_600)
            let (events, heard) = AsyncStream<StoreChange>.makeStream()
            let changes = try #require(databases[1].changes)
            let listener = StoreChangeService(changes: changes, doorbell: doorbell, clock: clock, logger: Self.logger,
                                              observe: { heard.yield($0) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await delivery.run() }
                group.addTask { try await listener.run() }
                var iterator = events.makeAsyncIterator()
                #expect(await iterator.next() == .listening)

                // When the other replica queues a message
                _ = try queue(databases[0], alerts: 1, updates: 0, at: Sample.t0)

                // Then its notification arrives, and this replica delivers it
                #expect(await iterator.next() == .outbox)
                await surface.waitForDeliveries(1)
                #expect(await surface.delivered.map(\.line) == ["1/0"])
                group.cancelAll()
            }
            #expect(try databases[0].read { try $0.outboxDepth() } == 0)
        }
    }
}
