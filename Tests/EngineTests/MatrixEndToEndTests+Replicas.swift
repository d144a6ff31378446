import Chat
import Core
import Engine
import Foundation
import PostgresStore
import Store
import Testing
import TestSupport

extension MatrixEndToEndTests {
    /// Matrix `/sync` moves to another replica on the shared PostgreSQL database (the leader changed): the new holder
    /// starts from the `next_batch` saved in the database, and a command the former holder acted on, in a batch it had
    /// not saved yet when it stopped, is found recorded and not acted on a second time.
    @Test(.enabled(if: PostgresPeer.isConfigured, "SOC2BOT_TEST_POSTGRES_URL is unset: run scripts/test, which starts the PostgreSQL peer"))
    func aNewSyncHolderContinuesFromTheSavedNextBatchAndActsOnNothingTwice() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let url = try PostgresPeer.peerURL
        // Given replica A syncing on the shared database (its first sync joined the room), and a failing bucket
        let databaseA = BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 2))
        let world = try await World.make(database: databaseA)
        try world.fail(buckets: 1)
        let saved = try #require(try databaseA.read { try $0.cursor(MatrixInbound.cursorName) })

        // When dana acknowledges and A acts on it, then A stops before saving that batch's next_batch
        try await world.dana.sendText("!soc2 ack A-1", to: world.room)
        #expect(try await world.sync { try world.alert()?.state == .acknowledged })
        try databaseA.write { try $0.setCursor(MatrixInbound.cursorName, saved) }
        let actions = try databaseA.read { try $0.evidenceCount(kind: "human_action") }

        // And replica B, another process on the same database, takes /sync over; dana snoozes the alert meanwhile
        let databaseB = BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 2))
        defer { try? databaseB.close(); try? databaseA.close() }
        let engineB = AlertEngine(config: world.config, database: databaseB)
        let listenerB = World.listener(engine: engineB, client: world.client, userID: world.bot.userID, clock: world.clock)
        try await world.dana.sendText("!soc2 snooze A-1 2d waiting for the vendor", to: world.room)

        // Then B acts on the new command, and the acknowledgement it saw again is not acted on twice
        #expect(try await world.sync(listenerB) { try databaseB.read { try $0.alert(AlertID(1)) }?.state == .snoozed })
        #expect(try databaseB.read { try $0.evidenceCount(kind: "human_action") } == actions + 1, "the snooze only")
        #expect(try databaseB.read { try $0.cursor(MatrixInbound.cursorName) } != saved, "B saved its own next_batch")
    }
}
