import Core
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// One ledger entry as hashed: `{"at":…,"data":…,"kind":…,"seq":…,"subject":…}` in canonical JSON.
package struct LedgerEntry<Payload: Encodable>: Encodable {
    package var seq: Int64
    /// `TimeText.iso` of the entry's time: the same text as the row's `at` column.
    package var at: String
    package var kind: String
    package var subject: String?
    package var data: Payload
    package init(seq: Int64, at: String, kind: String, subject: String?, data: Payload) {
        self.seq = seq; self.at = at; self.kind = kind; self.subject = subject; self.data = data
    }
}

/// The head of the chain after an append.
package struct LedgerHead: Sendable, Equatable, Codable {
    package var seq: Int64
    /// SHA-256 of the head entry, hex.
    package var hash: String

    package init(seq: Int64, hash: String) {
        (self.seq, self.hash) = (seq, hash)
    }
}

/// One entry ready to be stored: the row's `seq`, `at`, `entry`, `prev_hash` and `hash` columns.
package struct LedgerAppend: Sendable, Equatable {
    package var seq: Int64
    package var at: String
    package var entry: Data
    package var prevHash: Data
    package var hash: Data
}

/// The outcome of verifying a chain.
package enum LedgerVerdict: Sendable, Equatable, CustomStringConvertible {
    case intact(entries: Int64, head: String)
    /// The first entry that does not verify, and why.
    case broken(seq: Int64, reason: String)

    package var description: String {
        switch self {
        case .intact(let n, let head): "ledger intact: \(n) entries, head \(head)"
        case .broken(let seq, let reason): "ledger broken at entry \(seq): \(reason)"
        }
    }
    package var isIntact: Bool { if case .intact = self { true } else { false } }
}

/// The append-only, hash-chained evidence ledger. Each entry's `hash = SHA-256(prev_hash ‖ entry bytes)`, with
/// 32 zero bytes before the first entry. Triggers refuse UPDATE and DELETE; `verify` finds edits made behind
/// the bot's back (with the triggers dropped): changed bytes, deleted, inserted or reordered entries.
package enum EvidenceLedger {
    package static let genesis = Data(repeating: 0, count: 32)

    /// Appends one entry in the caller's transaction and returns the new head.
    ///
    /// Ledger time never goes backwards: an entry stamped before the head (a clock stepped back, a demo resumed
    /// from an older save) is recorded at the head's time, to the millisecond. The ledger's `at` is when the
    /// entry was recorded, in chain order; the payload keeps the event's own times.
    @discardableResult
    package static func append<P: Encodable>(_ db: Database, kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead {
        try append(db, kind: kind, subject: subject, at: at, canonicalData: Array(try CanonicalJSON.encode(data)))
    }

    /// The same with the payload already written as `CanonicalJSON` would write it (the hot entries, a control run's,
    /// are written by hand). The entry around it is written here without an encoder, byte for byte what
    /// `CanonicalJSON.encode(LedgerEntry(…))` gives: keys sorted, `subject` left out when nil.
    @discardableResult
    package static func append(_ db: Database, kind: String, subject: String?, at: Date, canonicalData: [UInt8]) throws -> LedgerHead {
        var head: HeadRow?
        return try append(db, head: &head, scope: nil, kind: kind, subject: subject, at: at, canonicalData: canonicalData)
    }

    /// The head row as the chain continues from it: sequence number, hash and time (`genesis` and nil for an empty ledger).
    package struct HeadRow: Sendable {
        var seq: Int64
        var hash: Data
        var at: String?
        /// The moment `at` was written from, when this transaction appended it: an entry at the same moment (a step's
        /// control runs) takes the same text without writing it again.
        var atFrom: Date?
    }

    /// `append` continuing from `head` when known (the entry this transaction appended last), else from the head row
    /// read now; `head` is then the new entry, and the insert is kept in `scope` (the write's, if any) for the next one.
    /// A step appends an entry for each control it runs: the head read for each was a tenth of the step's write.
    @discardableResult
    static func append(_ db: Database, head: inout HeadRow?, scope: WriteScope?, kind: String, subject: String?, at: Date,
                       canonicalData: [UInt8]) throws -> LedgerHead {
        let last: HeadRow
        if let head { last = head } else {
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash, at FROM ledger ORDER BY seq DESC LIMIT 1"))
            last = HeadRow(seq: row?[0] as Int64? ?? 0, hash: row?[1] as Data? ?? genesis, at: row?[2] as String?)
        }
        let next = nextEntry(headSeq: last.seq, headHash: last.hash, headTime: last.at,
                             kind: kind, subject: subject, at: at, time: last.atFrom == at ? last.at : nil, canonicalData: canonicalData)
        let insert = try BoundStatement.hot(.ledgerInsert, db, scope: scope)
        insert.bind(1, next.seq); insert.bind(2, next.at); insert.bind(3, kind); insert.bind(4, subject)
        insert.bind(5, next.entry); insert.bind(6, next.prevHash); insert.bind(7, next.hash)
        try insert.run()
        head = HeadRow(seq: next.seq, hash: next.hash, at: next.at, atFrom: at)
        return LedgerHead(seq: next.seq, hash: next.hash.hexString)
    }

    /// The entry that follows the head `(headSeq, headHash, headTime)` (0, `genesis`, nil for an empty ledger): its
    /// canonical bytes and chain hash, computed here for every store so their entries and hashes are byte-identical.
    /// Its time is `at`, or the head's time when `at` is before it (see `append`).
    package static func nextEntry<P: Encodable>(headSeq: Int64, headHash: Data, headTime: String?, kind: String, subject: String?,
                                                at: Date, data: P) throws -> LedgerAppend {
        nextEntry(headSeq: headSeq, headHash: headHash, headTime: headTime, kind: kind, subject: subject, at: at,
                  canonicalData: Array(try CanonicalJSON.encode(data)))
    }

    /// The same with the payload already written as `CanonicalJSON` would write it. The entry around it is written
    /// without an encoder, byte for byte what `CanonicalJSON.encode(LedgerEntry(…))` gives: keys sorted, `subject`
    /// left out when nil.
    /// `time`, when given, is `TimeText.iso(at)` already written.
    package static func nextEntry(headSeq: Int64, headHash: Data, headTime: String?, kind: String, subject: String?,
                                  at: Date, time written: String? = nil, canonicalData: [UInt8]) -> LedgerAppend {
        let seq = headSeq + 1
        var time = written ?? TimeText.iso(at)
        // ISO texts of one width sort as times.
        if let headTime, time < headTime { time = headTime }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(canonicalData.count + 96 + kind.utf8.count + (subject?.utf8.count ?? 0))
        CanonicalJSON.appendRaw(#"{"at":"#, to: &bytes)
        CanonicalJSON.appendString(time, to: &bytes)
        CanonicalJSON.appendRaw(#","data":"#, to: &bytes)
        bytes.append(contentsOf: canonicalData)
        CanonicalJSON.appendRaw(#","kind":"#, to: &bytes)
        CanonicalJSON.appendString(kind, to: &bytes)
        CanonicalJSON.appendRaw(#","seq":"#, to: &bytes)
        CanonicalJSON.appendInteger(seq, to: &bytes)
        if let subject {
            CanonicalJSON.appendRaw(#","subject":"#, to: &bytes)
            CanonicalJSON.appendString(subject, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        let entry = Data(bytes)
        return LedgerAppend(seq: seq, at: time, entry: entry, prevHash: headHash, hash: chainHash(prev: headHash, entry: entry))
    }

    package static func chainHash(prev: Data, entry: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: prev)
        hasher.update(data: entry)
        return Data(hasher.finalize())
    }

    /// Recomputes the whole chain from the first entry and names the first entry that does not verify: its hash,
    /// its link to the previous entry, and every column stored beside it (`seq`, `at`, `kind`, `subject`: queries
    /// and exports select by them) against its hashed bytes.
    package static func verify(_ db: Database) throws -> LedgerVerdict {
        // The hot loop of verification: blobs are read in place through the C API (no copies, no boxing) from a
        // statement GRDB prepared; the statement is reset before GRDB sees it again.
        // Map the file rather than copying every page through the cache: verification reads the whole ledger once.
        try db.execute(sql: "PRAGMA mmap_size = 4294967296")
        defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
        let statement = try db.makeStatement(sql: "SELECT seq, entry, prev_hash, hash, at, kind, subject FROM ledger ORDER BY seq")
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        var verifier = ChainVerifier()
        func bytes(_ column: Int32, text: Bool = false) -> UnsafeRawBufferPointer {
            // Text first, then its length (SQLite's documented order for a conversion).
            let start = text ? UnsafeRawPointer(sqlite3_column_text(raw, column)) : sqlite3_column_blob(raw, column)
            return UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(raw, column)))
        }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let seq = sqlite3_column_int64(raw, 0)
            // A column of another type (a blob holding the same bytes) compares differently in queries and exports.
            let atType = sqlite3_column_type(raw, 4), kindType = sqlite3_column_type(raw, 5), subjectType = sqlite3_column_type(raw, 6)
            if atType != SQLITE_TEXT || kindType != SQLITE_TEXT || (subjectType != SQLITE_TEXT && subjectType != SQLITE_NULL) {
                let (name, type) = atType != SQLITE_TEXT ? ("at", atType) : kindType != SQLITE_TEXT ? ("kind", kindType) : ("subject", subjectType)
                return .broken(seq: seq, reason: "its `\(name)` column holds \(Self.typeName(type)), not text: the row was edited")
            }
            let subject = subjectType == SQLITE_NULL ? nil : bytes(6, text: true)
            let problem = verifier.check(seq: seq, entry: bytes(1), prevHash: bytes(2), hash: bytes(3),
                                         at: bytes(4, text: true), kind: bytes(5, text: true), subject: subject)
            if let problem { return .broken(seq: seq, reason: problem) }
        }
        return verifier.verdict
    }

    private static func typeName(_ type: Int32) -> String {
        switch type {
        case SQLITE_INTEGER: "an integer"
        case SQLITE_FLOAT: "a real number"
        case SQLITE_BLOB: "a blob"
        case SQLITE_NULL: "NULL"
        default: "a value of type \(type)"
        }
    }

    /// The time of the head entry (nil for an empty ledger): no later entry is dated before it.
    package static func headTime(_ db: Database) throws -> Date? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT at FROM ledger ORDER BY seq DESC LIMIT 1")).flatMap(TimeText.parse)
    }

    /// The ledger kind recording that the append-only triggers were put back.
    package static let triggersRestoredKind = "ledger_triggers_restored"

    /// The append-only triggers, as migration `v1-alerts-ledger-outbox` created them (that migration keeps its own
    /// copy: a landed migration is never edited).
    static let appendOnlyTriggers: [(name: String, sql: String)] = [
        ("ledger_no_update", """
            CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only: UPDATE refused'); END
            """),
        ("ledger_no_delete", """
            CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only: DELETE refused'); END
            """),
    ]

    /// Recreates each append-only trigger that is missing, or whose definition is not ours (a trigger of the same
    /// name that does nothing); returns their names, empty when all were in place. Whitespace aside, the definitions
    /// are compared as SQLite keeps them.
    package static func restoreAppendOnlyTriggers(_ db: Database) throws -> [String] {
        func normalised(_ sql: String) -> String { sql.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        var existing: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger'") {
            existing[row[0]] = normalised(row[1] ?? "")
        }
        var restored: [String] = []
        for trigger in appendOnlyTriggers where existing[trigger.name] != normalised(trigger.sql) {
            if existing[trigger.name] != nil { try db.execute(sql: "DROP TRIGGER \(trigger.name)") }
            try db.execute(sql: trigger.sql)
            restored.append(trigger.name)
        }
        return restored
    }

    /// The current head, or nil for an empty ledger.
    package static func head(_ db: Database) throws -> LedgerHead? {
        guard let raw = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1") else { return nil }
        let row = StoredRow(raw, table: "ledger")
        return LedgerHead(seq: try row(0), hash: (try row(1, Data.self)).hexString)
    }
}

/// Checks a chain entry by entry; shared by the database verifier and the offline verifier of exported files.
package struct ChainVerifier {
    private var expectedSeq: Int64 = 1
    /// The previous entry's hash; 32 bytes, overwritten in place.
    private var previous = [UInt8](EvidenceLedger.genesis)
    package init() {}
    /// Continues a chain whose entry `seq` had hash `hash` (verifying an exported slice).
    package init(startingAfter seq: Int64, hash: Data) {
        expectedSeq = seq + 1
        previous = [UInt8](hash)
        firstSeqOffset = seq
    }
    private var firstSeqOffset: Int64 = 0

    /// Nil when the entry continues the chain and the columns stored beside it say what its hashed bytes say;
    /// otherwise what is wrong with it. `at`, `kind`, `subject` are the row's columns (an export line's fields).
    package mutating func check(seq: Int64, entry: Data, prevHash: Data, hash: Data, at: String, kind: String, subject: String?) -> String? {
        entry.withUnsafeBytes { e in
            prevHash.withUnsafeBytes { p in
                hash.withUnsafeBytes { h in
                    Data(at.utf8).withUnsafeBytes { a in
                        Data(kind.utf8).withUnsafeBytes { k in
                            guard let subject else { return check(seq: seq, entry: e, prevHash: p, hash: h, at: a, kind: k, subject: nil) }
                            return Data(subject.utf8).withUnsafeBytes { s in check(seq: seq, entry: e, prevHash: p, hash: h, at: a, kind: k, subject: s) }
                        }
                    }
                }
            }
        }
    }

    /// The same on bytes read in place (the database verifier's hot loop). `subject` nil: the column is NULL.
    package mutating func check(seq: Int64, entry: UnsafeRawBufferPointer, prevHash: UnsafeRawBufferPointer, hash: UnsafeRawBufferPointer,
                                at: UnsafeRawBufferPointer, kind: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer?) -> String? {
        if seq != expectedSeq {
            return seq > expectedSeq
                ? "expected entry \(expectedSeq) next, found \(seq): entries \(expectedSeq)…\(seq - 1) were deleted"
                : "entry \(seq) appears out of order after \(expectedSeq - 1)"
        }
        if !previous.elementsEqual(prevHash) {
            return "its previous-hash does not match entry \(seq - 1): an entry before it was changed, inserted or reordered"
        }
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(bufferPointer: entry)
        let recomputed = hasher.finalize()
        let matches = recomputed.withUnsafeBytes { $0.elementsEqual(hash) }
        if !matches {
            return "its content does not match its hash: the entry was edited"
        }
        if !Self.embedsSequence(seq, in: entry) {
            return "its content names a different position: the entry was moved"
        }
        if let problem = columnProblem(seq: seq, entry: entry, at: at, kind: kind, subject: subject) {
            return problem
        }
        recomputed.withUnsafeBytes { bytes in
            previous.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        }
        expectedSeq += 1
        return nil
    }

    /// Nil when the row's `at`, `kind` and `subject` are exactly the values in its entry, whose hash verified. Sorted
    /// keys fix the entry's shape: `{"at":T,"data":…,"kind":K,"seq":N}`, or `…,"seq":N,"subject":S}`; so the columns,
    /// written as JSON strings, must be its prefix and the end of its suffix, byte for byte (a JSON string holds no
    /// unescaped quote, so no other split of the bytes can match). Compared in place, without parsing or allocating:
    /// this runs once per entry.
    private func columnProblem(seq: Int64, entry: UnsafeRawBufferPointer, at: UnsafeRawBufferPointer,
                               kind: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer?) -> String? {
        func subjectProblem() -> String {
            subject.map { "its `subject` column (\(Self.quoted($0))) is not the subject in its hashed content: the row was edited" }
                ?? "its `subject` column is NULL, but its hashed content names a subject: the row was edited"
        }
        // From the end: `}`, then `,"subject":S` when there is a subject.
        var end = entry.count
        guard Self.take("}", before: &end, in: entry) else { return subjectProblem() }
        if let subject {
            guard Self.takeJSONString(subject, before: &end, in: entry), Self.take(#","subject":"#, before: &end, in: entry) else {
                return subjectProblem()
            }
        }
        // `,"seq":N`: the entry's own seq was checked, so anything else here is a subject the column lacks.
        var n = seq
        repeat {
            guard end > 0, entry[end - 1] == UInt8(ascii: "0") + UInt8(n % 10) else { return subjectProblem() }
            end -= 1
            n /= 10
        } while n > 0
        guard Self.take(#","seq":"#, before: &end, in: entry) else { return subjectProblem() }
        guard Self.takeJSONString(kind, before: &end, in: entry), Self.take(#","kind":"#, before: &end, in: entry) else {
            return "its `kind` column (\(Self.quoted(kind))) is not the kind in its hashed content: the row was edited"
        }
        // From the start: `{"at":T,"data":`.
        let prefix: StaticString = #"{"at":"#
        var start = 0
        guard Self.take(prefix, after: &start, in: entry), Self.takeJSONString(at, after: &start, in: entry),
              Self.take(#","data":"#, after: &start, in: entry) else {
            return Self.timeProblem(at: at, entry: entry, from: prefix.utf8CodeUnitCount + 1)
        }
        return nil
    }

    private static func timeProblem(at: UnsafeRawBufferPointer, entry: UnsafeRawBufferPointer, from start: Int) -> String {
        var end = start
        while end < entry.count && entry[end] != UInt8(ascii: "\"") { end += 1 }
        let hashed = start < entry.count ? String(decoding: UnsafeRawBufferPointer(rebasing: entry[start..<end]), as: UTF8.self) : "?"
        return "its `at` column (\(quoted(at))) is not the time in its hashed content (\(hashed)): the row was edited"
    }

    /// Whether `piece` ends at `end` in `bytes`; if so, moves `end` before it.
    @inline(__always)
    private static func take(_ piece: UnsafeRawBufferPointer, before end: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard piece.count <= end else { return false }
        guard piece.count > 0 else { return true }
        guard memcmp(bytes.baseAddress! + (end - piece.count), piece.baseAddress!, piece.count) == 0 else { return false }
        end -= piece.count
        return true
    }

    /// Whether `piece` starts at `start` in `bytes`; if so, moves `start` past it.
    @inline(__always)
    private static func take(_ piece: UnsafeRawBufferPointer, after start: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard start + piece.count <= bytes.count else { return false }
        guard piece.count > 0 else { return true }
        guard memcmp(bytes.baseAddress! + start, piece.baseAddress!, piece.count) == 0 else { return false }
        start += piece.count
        return true
    }

    private static func take(_ literal: StaticString, before end: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        literal.withUTF8Buffer { take(UnsafeRawBufferPointer($0), before: &end, in: bytes) }
    }

    private static func take(_ literal: StaticString, after start: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        literal.withUTF8Buffer { take(UnsafeRawBufferPointer($0), after: &start, in: bytes) }
    }

    /// Printable ASCII without `"` or `\\`: canonical JSON writes it as is between quotes (every kind, subject and
    /// time the bot writes).
    private static func isPlain(_ text: UnsafeRawBufferPointer) -> Bool {
        text.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Whether `text` written as a canonical JSON string (quotes included) ends at `end`; moves `end` before it.
    private static func takeJSONString(_ text: UnsafeRawBufferPointer, before end: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        if isPlain(text) {
            var at = end
            guard take("\"", before: &at, in: bytes), take(text, before: &at, in: bytes), take("\"", before: &at, in: bytes) else { return false }
            end = at
            return true
        }
        guard let encoded = encodedJSONString(text) else { return false }
        return encoded.withUnsafeBytes { take($0, before: &end, in: bytes) }
    }

    /// Whether `text` written as a canonical JSON string starts at `start`; moves `start` past it.
    private static func takeJSONString(_ text: UnsafeRawBufferPointer, after start: inout Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        if isPlain(text) {
            var at = start
            guard take("\"", after: &at, in: bytes), take(text, after: &at, in: bytes), take("\"", after: &at, in: bytes) else { return false }
            start = at
            return true
        }
        guard let encoded = encodedJSONString(text) else { return false }
        return encoded.withUnsafeBytes { take($0, after: &start, in: bytes) }
    }

    /// `text` (UTF-8) as `CanonicalJSON` writes a string, by the encoder itself, so the escaping is the writer's by
    /// construction; nil when it is not UTF-8.
    private static func encodedJSONString(_ text: UnsafeRawBufferPointer) -> Data? {
        guard let string = String(validating: text, as: UTF8.self) else { return nil }
        return try? CanonicalJSON.encode(string)
    }

    /// A column's text for a message: at most 64 characters, quoted.
    private static func quoted(_ text: UnsafeRawBufferPointer) -> String {
        let string = String(decoding: text, as: UTF8.self)
        return "\"" + (string.count > 64 ? String(string.prefix(64)) + "…" : string) + "\""
    }

    package var verdict: LedgerVerdict { .intact(entries: expectedSeq - 1 - firstSeqOffset, head: Data(previous).hexString) }

    /// Canonical entries end with `"seq":<n>,"subject":…}` or `"seq":<n>}`; sorted keys make `seq` the penultimate key.
    /// The last `"seq":` in the bytes is the entry's own (a string cannot hold it unescaped), so only that one counts,
    /// not a `seq` nested in the payload. Reads the bytes in place: this runs once per entry on every verification.
    private static func embedsSequence(_ seq: Int64, in bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            let key = (UInt8(ascii: "\""), UInt8(ascii: "s"), UInt8(ascii: "e"), UInt8(ascii: "q"), UInt8(ascii: "\""), UInt8(ascii: ":"))
            let keyLength = 6
            guard bytes.count > keyLength else { return false }
            // Search from the end: seq sits near the end of the object.
            var i = bytes.count - keyLength - 1
            let limit = max(0, bytes.count - keyLength - 4096)
            while i >= limit {
                if bytes[i] == key.0 && bytes[i + 1] == key.1 && bytes[i + 2] == key.2 && bytes[i + 3] == key.3
                    && bytes[i + 4] == key.4 && bytes[i + 5] == key.5 {
                    var j = i + keyLength
                    var value: Int64 = 0
                    var digits = 0
                    while j < bytes.count, digits < 19, bytes[j] >= UInt8(ascii: "0"), bytes[j] <= UInt8(ascii: "9") {
                        value = value * 10 + Int64(bytes[j] - UInt8(ascii: "0"))
                        j += 1
                        digits += 1
                    }
                    let leadingZero = digits > 1 && bytes[i + keyLength] == UInt8(ascii: "0")
                    return digits > 0 && !leadingZero && value == seq && j < bytes.count
                        && (bytes[j] == UInt8(ascii: ",") || bytes[j] == UInt8(ascii: "}"))
                }
                i -= 1
            }
            return false
        }
    }
}
