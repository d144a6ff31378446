import Core
import Foundation
import GRDB
import GRDBSQLite
import Store
import Testing

/// Control runs' ledger entries are left out of the subject index (a step would otherwise write a leaf page of it for
/// every control it runs); looking up any other subject still reads only that subject's entries.
@Suite("Ledger subject index")
struct LedgerSubjectIndexTests {
    let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000)

    /// A ledger of many control runs and a few entries about an alert.
    func ledger() throws -> BotDatabase {
        let database = try BotDatabase.inMemory()
        try database.write { tx in
            for i in 0..<2_000 {
                try tx.appendEvidence(kind: "control_run", subject: "control:c\(i % 15)", at: t0 + Double(i), canonicalData: Array("{}".utf8))
                if i % 500 == 0 { try tx.appendEvidence(kind: "alert_transition", subject: "A-1", at: t0 + Double(i), canonicalData: Array("{}".utf8)) }
            }
        }
        return database
    }

    @Test func anAlertsEntriesAreReadAlongTheIndexWithoutReadingTheRuns() throws {
        let database = try ledger()
        // SQLite's own counters on the statement: rows stepped through by a full scan, and virtual machine steps.
        let (rows, fullScanSteps, vmSteps) = try database.writer.read { db in
            let statement = try db.makeStatement(sql: SQLiteTransaction.evidenceBySubjectSQL)
            let rows = try Data.fetchAll(statement, arguments: ["A-1", false])
            return (rows.count, sqlite3_stmt_status(statement.sqliteStatement, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0),
                    sqlite3_stmt_status(statement.sqliteStatement, SQLITE_STMTSTATUS_VM_STEP, 0))
        }
        #expect(rows == 4)
        #expect(fullScanSteps == 0)
        // A handful of instructions per entry found, not per entry in the ledger (2,004).
        #expect(vmSteps < 200, "\(vmSteps) virtual machine steps")
    }

    @Test func aControlsRunsAreStillFoundBySubjectAndKind() throws {
        let database = try ledger()
        #expect(try database.read { try $0.evidence(subject: "control:c3") }.count == 2_000 / 15 + 1)
        #expect(try database.read { try $0.evidence(subjectPrefix: "control:c1") }.count == (0..<2_000).filter { "c\($0 % 15)".hasPrefix("c1") }.count)
        #expect(try database.read { try $0.evidence(subjectPrefix: "A-") }.count == 4)
        #expect(try database.read { try $0.lastEvidenceAt(subject: "control:c3", kind: "control_run") } == t0 + 1_998)
        #expect(try database.read { try $0.lastEvidenceAt(subject: "A-1", kind: "alert_transition") } == t0 + 1_500)
        #expect(try database.read { try $0.latestEvidence(subject: "control:c3", kind: "alert_transition") } == nil)
    }

    /// Only a control run's entry about a control is left out: one about anything else is found along the index.
    @Test func aRunEntryAboutSomethingElseIsFoundAsAnyOther() throws {
        let database = try ledger()
        try database.write { tx in
            try tx.appendEvidence(kind: "control_run", subject: "A-1", at: t0 + 3_000, canonicalData: Array("{}".utf8))
        }
        #expect(try database.read { try $0.evidence(subject: "A-1") }.count == 5)
        #expect(try database.read { try $0.lastEvidenceAt(subject: "A-1", kind: "control_run") } == t0 + 3_000)
        #expect(try database.read { try $0.evidence(subjectPrefix: "A") }.count == 5)
    }

    /// The index leaves exactly control runs out: its definition as SQLite holds it.
    @Test func theIndexLeavesControlRunsOut() throws {
        let database = try BotDatabase.inMemory()
        let sql = try database.writer.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'ledger_subject'")
        }
        // The queries repeat the condition word for word (SQLite uses a partial index only then).
        #expect(sql?.hasSuffix("WHERE subject IS NOT NULL AND " + SQLiteTransaction.indexedSubject) == true, "\(sql ?? "no index")")
    }
}
