import Core
import Crypto
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// The payload of the test entries: a number, so each entry's bytes differ.
struct Note: Encodable {
    var n: Int
}

/// Appends `count` notes, entry i at `t0 + i minutes`, each in its own transaction.
func appendNotes(_ database: BotDatabase, count: Int, subject: String? = "control:mfa-enforced") throws {
    let start = try database.read { try $0.ledgerHead()?.seq ?? 0 }
    for i in 1...count {
        let n = Int(start) + i
        _ = try database.write { try $0.appendEvidence(kind: "note", subject: subject, at: Sample.at(Double(n) * Sample.minute), data: Note(n: n)) }
    }
}

/// Every ledger row, in seq order.
func ledgerRows(_ database: BotDatabase) throws -> [LedgerRow] {
    try database.read { tx in
        var rows: [LedgerRow] = []
        try tx.ledgerRows { rows.append($0) }
        return rows
    }
}

@Suite("Evidence ledger")
struct EvidenceLedgerTests {
    @Test func appendBuildsAHashChainFromTheGenesis() throws {
        let database = try BotDatabase.inMemory()
        var heads: [LedgerHead] = []
        for n in 1...5 {
            heads.append(try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(Double(n)), data: Note(n: n)) })
        }

        let rows = try ledgerRows(database)
        #expect(rows.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(rows[0].prevHash == Data(repeating: 0, count: 32))
        for (i, row) in rows.enumerated() {
            // hash = SHA-256(prev_hash ‖ entry), computed here independently of the store.
            var hasher = SHA256()
            hasher.update(data: row.prevHash)
            hasher.update(data: row.entry)
            #expect(row.hash == Data(hasher.finalize()))
            if i > 0 { #expect(row.prevHash == rows[i - 1].hash) }
            #expect(heads[i].seq == row.seq)
            #expect(heads[i].hash == row.hash.hexString)
        }
        // The hashed bytes are canonical JSON naming their own position.
        #expect(String(decoding: rows[2].entry, as: UTF8.self)
            == #"{"at":"2026-02-25T06:13:23.000Z","data":{"n":3},"kind":"note","seq":3}"#)
        #expect(try database.read { try $0.ledgerHead() } == heads.last)
    }

    @Test func intactChainVerifies() throws {
        let database = try BotDatabase.inMemory()
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 0, head: EvidenceLedger.genesis.hexString))

        try appendNotes(database, count: 20)

        let head = try #require(try database.read { try $0.ledgerHead() })
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 20, head: head.hash))
    }

    @Test(arguments: [
        "UPDATE ledger SET kind = 'edited' WHERE seq = 2",
        "UPDATE ledger SET entry = x'7b7d' WHERE seq = 3",
        "DELETE FROM ledger WHERE seq = 2",
        "DELETE FROM ledger",
    ])
    func triggersRefuseUpdateAndDelete(sql: String) throws {
        let database = try BotDatabase.inMemory()
        try appendNotes(database, count: 3)
        let before = try ledgerRows(database)

        let error = #expect(throws: DatabaseError.self) {
            try database.writer.write { try $0.execute(sql: sql) }
        }

        #expect(error?.message?.contains("the evidence ledger is append-only") == true)
        let after = try ledgerRows(database)
        #expect(after.map(\.hash) == before.map(\.hash))
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
    }
}

/// Edits made behind the bot's back: another process opens the file with plain SQLite, drops the append-only
/// triggers and changes the table. The verifier must name the first entry that no longer verifies.
@Suite("Evidence ledger tamper detection")
struct LedgerTamperTests {
    /// One way of tampering with a ledger of 6 entries, and the first entry that must be reported broken.
    enum Tamper: String, CaseIterable, CustomTestStringConvertible {
        /// Rewrites the payload of entry 3 (its hash left as it was).
        case editEntryBytes
        /// Rewrites entry 3's payload and recomputes its own hash: entry 4's previous-hash no longer matches.
        case editEntryAndRehash
        /// Deletes entry 3: entry 4 follows entry 2.
        case deleteMiddleEntry
        /// Deletes entry 3, then renumbers 4…6 as 3…5 and recomputes every hash after entry 2: the chain links
        /// again, but entry "3" still names position 4 in its own bytes.
        case deleteMiddleEntryAndRechain
        /// Deletes entries 3…6 and re-inserts them as 4…7 behind a well-formed forged entry 3.
        case insertForgedEntryRenumbering
        /// Appends entry 7 whose previous-hash is not entry 6's hash.
        case appendForgedEntryWithWrongPrevHash
        /// Swaps the entry and hash columns of entries 2 and 3.
        case swapTwoEntries
        /// Swaps everything but the seq of entries 4 and 5.
        case swapTwoWholeRows

        var firstBrokenSeq: Int64 {
            switch self {
            case .editEntryBytes: 3
            case .editEntryAndRehash: 4
            case .deleteMiddleEntry: 4
            case .deleteMiddleEntryAndRechain: 3
            case .insertForgedEntryRenumbering: 4
            case .appendForgedEntryWithWrongPrevHash: 7
            case .swapTwoEntries: 2
            case .swapTwoWholeRows: 4
            }
        }

        var testDescription: String { rawValue }

        func apply(_ db: Database) throws {
            func row(_ seq: Int64) throws -> Row { try #require(try Row.fetchOne(db, sql: "SELECT * FROM ledger WHERE seq = ?", arguments: [seq])) }
            func edited(_ entry: Data) -> Data {
                Data(String(decoding: entry, as: UTF8.self).replacingOccurrences(of: #""n":3"#, with: #""n":33"#).utf8)
            }
            switch self {
            case .editEntryBytes:
                let entry: Data = try row(3)["entry"]
                try db.execute(sql: "UPDATE ledger SET entry = ? WHERE seq = 3", arguments: [edited(entry)])
            case .editEntryAndRehash:
                let original = try row(3)
                let entry = edited(original["entry"])
                try db.execute(sql: "UPDATE ledger SET entry = ?, hash = ? WHERE seq = 3",
                               arguments: [entry, EvidenceLedger.chainHash(prev: original["prev_hash"], entry: entry)])
            case .deleteMiddleEntry:
                try db.execute(sql: "DELETE FROM ledger WHERE seq = 3")
            case .deleteMiddleEntryAndRechain:
                try Self.deleteAndRechain(db, seq: 3)
            case .insertForgedEntryRenumbering:
                let tail = try Row.fetchAll(db, sql: "SELECT * FROM ledger WHERE seq >= 3 ORDER BY seq")
                let prev: Data = try row(2)["hash"]
                try db.execute(sql: "DELETE FROM ledger WHERE seq >= 3")
                let forged = Data(#"{"at":"2026-02-25T06:15:30.000Z","data":{"n":0},"kind":"note","seq":3,"subject":"control:mfa-enforced"}"#.utf8)
                try insert(db, seq: 3, at: "2026-02-25T06:15:30.000Z", entry: forged, prev: prev,
                           hash: EvidenceLedger.chainHash(prev: prev, entry: forged))
                for old in tail {
                    try insert(db, seq: (old["seq"] as Int64) + 1, at: old["at"], entry: old["entry"], prev: old["prev_hash"], hash: old["hash"])
                }
            case .appendForgedEntryWithWrongPrevHash:
                let prev = Data(repeating: 0xAB, count: 32)
                let forged = Data(#"{"at":"2026-02-25T06:20:00.000Z","data":{"n":7},"kind":"note","seq":7,"subject":"control:mfa-enforced"}"#.utf8)
                try insert(db, seq: 7, at: "2026-02-25T06:20:00.000Z", entry: forged, prev: prev,
                           hash: EvidenceLedger.chainHash(prev: prev, entry: forged))
            case .swapTwoEntries:
                try swap(db, 2, 3, columns: ["entry", "hash"])
            case .swapTwoWholeRows:
                try swap(db, 4, 5, columns: ["at", "kind", "subject", "entry", "prev_hash", "hash"])
            }
        }

        /// Deletes entry `seq` and rewrites the rows after it one position down with fresh, consistent hashes.
        static func deleteAndRechain(_ db: Database, seq: Int64) throws {
            let tail = try Row.fetchAll(db, sql: "SELECT * FROM ledger WHERE seq > ? ORDER BY seq", arguments: [seq])
            var prev: Data = try #require(try Data.fetchOne(db, sql: "SELECT hash FROM ledger WHERE seq = ?", arguments: [seq - 1]))
            try db.execute(sql: "DELETE FROM ledger WHERE seq >= ?", arguments: [seq])
            for (offset, old) in tail.enumerated() {
                let entry: Data = old["entry"]
                let hash = EvidenceLedger.chainHash(prev: prev, entry: entry)
                try db.execute(sql: "INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [seq + Int64(offset), old["at"] as String, old["kind"] as String, old["subject"] as String?, entry, prev, hash])
                prev = hash
            }
        }

        /// Exchanges `columns` between rows `a` and `b`, keeping their seq.
        private func swap(_ db: Database, _ a: Int64, _ b: Int64, columns: [String]) throws {
            let rowA = try #require(try Row.fetchOne(db, sql: "SELECT * FROM ledger WHERE seq = ?", arguments: [a]))
            let rowB = try #require(try Row.fetchOne(db, sql: "SELECT * FROM ledger WHERE seq = ?", arguments: [b]))
            let assignments = columns.map { "\($0) = ?" }.joined(separator: ", ")
            for (seq, source) in [(a, rowB), (b, rowA)] {
                let values: [DatabaseValue] = columns.map { source[$0] }
                try db.execute(sql: "UPDATE ledger SET \(assignments) WHERE seq = ?",
                               arguments: StatementArguments(values + [seq.databaseValue]))
            }
        }

        private func insert(_ db: Database, seq: Int64, at: String, entry: Data, prev: Data, hash: Data) throws {
            try db.execute(sql: "INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES (?, ?, 'note', 'control:mfa-enforced', ?, ?, ?)",
                           arguments: [seq, at, entry, prev, hash])
        }
    }

    /// Opens the file as a plain SQLite database (not through BotDatabase), drops the triggers and runs `tamper`.
    static func tamperBehindTheBotsBack(path: String, _ tamper: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete")
            try tamper(db)
        }
        try queue.close()
    }

    @Test(arguments: Tamper.allCases)
    func tamperingWithAClosedFileIsFoundAfterReopening(_ tamper: Tamper) throws {
        try withTemporaryDirectory { dir in
            // Given a 6-entry ledger in a file the bot has closed
            let path = dir.appendingPathComponent("bot.sqlite").path
            do {
                let database = try BotDatabase.open(path: path)
                try appendNotes(database, count: 6)
                #expect(try database.read { try $0.verifyLedger() }.isIntact)
            }

            // When someone edits the file behind its back
            try Self.tamperBehindTheBotsBack(path: path, tamper.apply)

            // Then the bot, reopening it, names the first entry that no longer verifies
            let reopened = try BotDatabase.open(path: path)
            let verdict = try reopened.read { try $0.verifyLedger() }
            #expect(brokenSeq(verdict) == tamper.firstBrokenSeq, "\(verdict)")
        }
    }

    @Test(arguments: [Tamper.editEntryBytes, .deleteMiddleEntry, .swapTwoEntries])
    func tamperingWhileTheBotHasTheFileOpenIsFound(_ tamper: Tamper) throws {
        try withTemporaryDirectory { dir in
            let database = try Sample.fileDatabase(in: dir)
            try appendNotes(database, count: 6)

            try Self.tamperBehindTheBotsBack(path: database.path, tamper.apply)

            let verdict = try database.read { try $0.verifyLedger() }
            #expect(brokenSeq(verdict) == tamper.firstBrokenSeq, "\(verdict)")
        }
    }

    @Test func aMovedEntryIsCaughtEvenWhenItsPayloadMentionsItsNewPosition() throws {
        try withTemporaryDirectory { dir in
            // Given entry 4 whose payload happens to hold a nested "seq":3
            let path = dir.appendingPathComponent("bot.sqlite").path
            do {
                let database = try BotDatabase.open(path: path)
                try appendNotes(database, count: 3)
                _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(4 * Sample.minute), data: ["seq": 3]) }
                try appendNotes(database, count: 2)
            }

            // When entry 3 is deleted and the chain after it renumbered and rehashed
            try Self.tamperBehindTheBotsBack(path: path) { try Tamper.deleteAndRechain($0, seq: 3) }

            // Then the entry now at position 3 is refused: its own seq says 4
            let verdict = try BotDatabase.open(path: path).read { try $0.verifyLedger() }
            #expect(brokenSeq(verdict) == 3, "\(verdict)")
            #expect(verdict.description.contains("different position"))
        }
    }

    @Test func untouchedFileStillVerifiesAfterDroppingTheTriggers() throws {
        // Guards the tamper tests: dropping the triggers alone changes no entry.
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("bot.sqlite").path
            do { try appendNotes(try BotDatabase.open(path: path), count: 6) }
            try Self.tamperBehindTheBotsBack(path: path) { _ in }
            #expect(try BotDatabase.open(path: path).read { try $0.verifyLedger() }.isIntact)
        }
    }
}

/// The seq a broken verdict names; nil when the ledger verified.
func brokenSeq(_ verdict: LedgerVerdict) -> Int64? {
    if case .broken(let seq, _) = verdict { seq } else { nil }
}

/// The columns stored beside each hashed entry (`at`, `kind`, `subject`) are what queries and exports select by;
/// an edit to them alone, leaving the entry's bytes and hashes untouched, must break the chain at that row.
@Suite("Evidence ledger columns")
struct LedgerColumnTests {
    /// An edit of a 6-entry ledger's columns (subject `control:mfa-enforced` everywhere), the first row it breaks,
    /// and the column the reason names.
    struct ColumnEdit: CustomTestStringConvertible, Sendable {
        var sql: String
        var firstBrokenSeq: Int64
        var names: String
        var testDescription: String { sql }
    }

    static let edits = [
        // The issue's case: the last rows moved years ahead, so a period's export stopped early and still verified.
        ColumnEdit(sql: "UPDATE ledger SET at = '2030-01-01T00:00:00.000Z' WHERE seq >= 4", firstBrokenSeq: 4, names: "`at`"),
        ColumnEdit(sql: "UPDATE ledger SET at = '2026-02-25T06:00:00.000Z' WHERE seq = 2", firstBrokenSeq: 2, names: "`at`"),
        ColumnEdit(sql: "UPDATE ledger SET kind = 'edited' WHERE seq = 3", firstBrokenSeq: 3, names: "`kind`"),
        ColumnEdit(sql: "UPDATE ledger SET subject = 'control:other' WHERE seq = 5", firstBrokenSeq: 5, names: "`subject`"),
        ColumnEdit(sql: "UPDATE ledger SET subject = NULL WHERE seq = 2", firstBrokenSeq: 2, names: "`subject`"),
        ColumnEdit(sql: #"UPDATE ledger SET subject = 'control:mfa-enforced"}' WHERE seq = 6"#, firstBrokenSeq: 6, names: "`subject`"),
        // The same bytes as a blob: equal to the eye, but a blob sorts after every text in `at >= ?`.
        ColumnEdit(sql: "UPDATE ledger SET at = CAST(at AS BLOB) WHERE seq = 3", firstBrokenSeq: 3, names: "`at` column holds a blob"),
        ColumnEdit(sql: "UPDATE ledger SET kind = 7 WHERE seq = 1", firstBrokenSeq: 1, names: "`kind`"),
    ]

    @Test(arguments: edits)
    func anEditedColumnBreaksTheChainAtItsRow(_ edit: ColumnEdit) throws {
        try withTemporaryDirectory { dir in
            // Given a 6-entry ledger in a closed file
            let path = dir.appendingPathComponent("bot.sqlite").path
            do { try appendNotes(try BotDatabase.open(path: path), count: 6) }

            // When a column beside the hashed entry is edited behind the bot's back
            try LedgerTamperTests.tamperBehindTheBotsBack(path: path) { try $0.execute(sql: edit.sql) }

            // Then verification names that row and the column
            let verdict = try BotDatabase.open(path: path).read { try $0.verifyLedger() }
            #expect(brokenSeq(verdict) == edit.firstBrokenSeq, "\(verdict)")
            #expect(verdict.description.contains(edit.names), "\(verdict)")
        }
    }

    @Test func textsThatJSONEscapesAreComparedExactly() throws {
        // Given entries without a subject, and with kinds and subjects that JSON escapes
        let database = try BotDatabase.inMemory()
        _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: Note(n: 1)) }
        _ = try database.write { try $0.appendEvidence(kind: "note \"quoted\" \\ é", subject: "tab\there / ünïcode \u{2028}", at: Sample.t0, data: Note(n: 2)) }
        _ = try database.write { try $0.appendEvidence(kind: "note", subject: "", at: Sample.t0, data: Note(n: 3)) }
        // Then they verify (no false alarm)
        #expect(try database.read { try $0.verifyLedger() }.isIntact)

        // When the escaped subject loses its tab, Then that row is caught
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET subject = replace(subject, char(9), ' ') WHERE seq = 2")
        }
        let verdict = try database.read { try $0.verifyLedger() }
        #expect(brokenSeq(verdict) == 2, "\(verdict)")
    }

}

/// Before the bot appends (`run`, `demo`): a broken chain is refused; dropped append-only triggers come back, and
/// that is recorded in the ledger.
@Suite("Evidence ledger at start")
struct LedgerStartTests {
    static func triggers(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger' ORDER BY name") }
    }

    @Test(arguments: [
        "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete",
        // Replaced by a trigger of the same name that lets everything through.
        "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete; CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT 1; END",
    ])
    func droppedTriggersAreRestoredAndTheFactRecorded(sql: String) throws {
        try withTemporaryDirectory { dir in
            // Given a ledger whose append-only triggers were dropped (or neutered) behind the bot's back
            let path = dir.appendingPathComponent("bot.sqlite").path
            do {
                let database = try BotDatabase.open(path: path)
                try appendNotes(database, count: 3)
                // An untouched ledger: nothing to restore, nothing recorded.
                #expect(try database.prepareLedgerForAppending(now: Sample.at(Sample.hour)) == LedgerStartCheck(entries: 3, restoredTriggers: [], recordedAt: nil))
            }
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: sql) }
            try queue.close()

            // When the bot prepares to append
            let database = try BotDatabase.open(path: path)
            let check = try database.prepareLedgerForAppending(now: Sample.at(Sample.day))

            // Then both triggers are back, and the ledger says so in a new entry
            #expect(check.restoredTriggers == ["ledger_no_update", "ledger_no_delete"])
            #expect(check.recordedAt?.seq == 4)
            #expect(try Self.triggers(path) == ["ledger_no_delete", "ledger_no_update"])
            let entry = String(decoding: try #require(try database.read { try $0.evidence(subject: "ledger") }.first), as: UTF8.self)
            #expect(entry.contains(#""kind":"ledger_triggers_restored""#) && entry.contains("ledger_no_update"))
            #expect(throws: DatabaseError.self) { try database.writer.write { try $0.execute(sql: "UPDATE ledger SET kind = 'x' WHERE seq = 1") } }
            #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 4, head: try #require(check.recordedAt).hash))
            // Once back, the next start finds nothing to restore.
            #expect(try database.prepareLedgerForAppending(now: Sample.at(2 * Sample.day)).restoredTriggers.isEmpty)
        }
    }

    @Test func aBrokenChainIsRefusedAndLeftAsItWas() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("bot.sqlite").path
            do { try appendNotes(try BotDatabase.open(path: path), count: 6) }
            try LedgerTamperTests.tamperBehindTheBotsBack(path: path) { try $0.execute(sql: "UPDATE ledger SET at = '2030-01-01T00:00:00.000Z' WHERE seq >= 4") }

            let database = try BotDatabase.open(path: path)
            let error = #expect(throws: BrokenLedgerError.self) { try database.prepareLedgerForAppending(now: Sample.at(Sample.day)) }
            #expect(error?.description.contains("ledger broken at entry 4") == true)
            #expect(error?.description.contains("refusing to start") == true)
            // Nothing appended, no trigger recreated: the evidence of tampering stays as found.
            #expect(try database.read { try $0.ledgerHead()?.seq } == 6)
            #expect(try Self.triggers(path).isEmpty)
        }
    }
}
