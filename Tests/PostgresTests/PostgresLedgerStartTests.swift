import Core
import Foundation
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// What a process checks before it appends, on PostgreSQL: the ledger's triggers and their functions are put back
/// when someone dropped, disabled or replaced them, once however many replicas start together.
@Suite("The ledger's start check on PostgreSQL", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresLedgerStartTests {
    func open(_ settings: [String: String]) throws -> BotDatabase {
        BotDatabase(backend: try PostgresBackend(url: try PostgresPeer.peerURL, settings: settings, poolSize: 1))
    }

    /// A trigger function replaced by one that lets changes through and a trigger dropped are both recreated: an
    /// update is refused again and the chain is checked on insert again.
    @Test func aReplacedFunctionAndADroppedTriggerAreRestored() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let database = try open(settings)
            defer { try? database.close() }
            _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: ["n": 1]) }
            let owner = try PostgresConnection(url: try PostgresPeer.peerURL, settings: settings)
            try owner.execute("""
                CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                DROP TRIGGER ledger_continue_chain ON ledger
                """)

            let check = try database.prepareLedgerForAppending(now: Sample.at(60))

            #expect(check.restoredTriggers == ["ledger_refuse_change", "ledger_continue_chain"])
            #expect(check.recordedAt?.seq == 2)
            #expect(throws: PostgresError.self) { try owner.query("UPDATE ledger SET kind = 'edited' WHERE seq = 1") }
            #expect(throws: PostgresError.self) {
                try owner.query("INSERT INTO ledger (seq, at, kind, entry, prev_hash, hash) VALUES (3, 'x', 'forged', ''::bytea, ''::bytea, ''::bytea)")
            }
            #expect(try database.prepareLedgerForAppending(now: Sample.at(120)).restoredTriggers == [])
        }
    }

    /// Replicas starting together on a ledger whose update trigger was switched off restore it once: one of them
    /// records the restoration, the others find everything in place.
    @Test func replicasStartingTogetherRestoreOnce() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let databases = try (0..<4).map { _ in try open(settings) }
            _ = try databases[0].write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: ["n": 1]) }
            try PostgresConnection(url: try PostgresPeer.peerURL, settings: settings).execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update")
            let checks = CheckBox()

            try PostgresPeer.onThreads(databases.count) { replica in
                checks.append(try databases[replica].prepareLedgerForAppending(now: Sample.at(60)))
            }

            #expect(checks.all.filter { !$0.restoredTriggers.isEmpty }.map(\.restoredTriggers) == [["ledger_no_update"]])
            #expect(try databases[0].read { try $0.evidenceCount(kind: EvidenceLedger.triggersRestoredKind) } == 1)
            #expect(try databases[0].read { try $0.verifyLedger() }.isIntact)
            for database in databases { try database.close() }
        }
    }
}

/// Start checks gathered from several threads.
final class CheckBox: @unchecked Sendable {
    private let lock = NSLock()
    private var checks: [LedgerStartCheck] = []
    func append(_ check: LedgerStartCheck) { lock.lock(); checks.append(check); lock.unlock() }
    var all: [LedgerStartCheck] { lock.lock(); defer { lock.unlock() }; return checks }
}
