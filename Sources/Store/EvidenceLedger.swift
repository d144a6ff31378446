import Core
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// One ledger entry as hashed: `{"at":…,"data":…,"kind":…,"seq":…,"subject":…}` in canonical JSON.
package struct LedgerEntry<Payload: Encodable>: Encodable {
    package var seq: Int64
    package var at: Date
    package var kind: String
    package var subject: String?
    package var data: Payload
}

/// The head of the chain after an append.
package struct LedgerHead: Sendable, Equatable, Codable {
    package var seq: Int64
    /// SHA-256 of the head entry, hex.
    package var hash: String
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
    @discardableResult
    package static func append<P: Encodable>(_ db: Database, kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1"))
        let seq: Int64 = (last?[0] as Int64? ?? 0) + 1
        let prev: Data = last?[1] ?? genesis
        let entry = try CanonicalJSON.encode(LedgerEntry(seq: seq, at: at, kind: kind, subject: subject, data: data))
        let hash = chainHash(prev: prev, entry: entry)
        try db.cachedStatement(sql: "INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [seq, TimeText.iso(at), kind, subject, entry, prev, hash])
        return LedgerHead(seq: seq, hash: hash.hexString)
    }

    package static func chainHash(prev: Data, entry: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: prev)
        hasher.update(data: entry)
        return Data(hasher.finalize())
    }

    /// Recomputes the whole chain from the first entry and names the first entry that does not verify.
    package static func verify(_ db: Database) throws -> LedgerVerdict {
        // The hot loop of verification: blobs are read in place through the C API (no copies, no boxing) from a
        // statement GRDB prepared; the statement is reset before GRDB sees it again.
        // Map the file rather than copying every page through the cache: verification reads the whole ledger once.
        try db.execute(sql: "PRAGMA mmap_size = 4294967296")
        defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
        let statement = try db.makeStatement(sql: "SELECT seq, entry, prev_hash, hash FROM ledger ORDER BY seq")
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        var verifier = ChainVerifier()
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let seq = sqlite3_column_int64(raw, 0)
            let entry = UnsafeRawBufferPointer(start: sqlite3_column_blob(raw, 1), count: Int(sqlite3_column_bytes(raw, 1)))
            let prev = UnsafeRawBufferPointer(start: sqlite3_column_blob(raw, 2), count: Int(sqlite3_column_bytes(raw, 2)))
            let hash = UnsafeRawBufferPointer(start: sqlite3_column_blob(raw, 3), count: Int(sqlite3_column_bytes(raw, 3)))
            if let problem = verifier.check(seq: seq, entry: entry, prevHash: prev, hash: hash) {
                return .broken(seq: seq, reason: problem)
            }
        }
        return verifier.verdict
    }

    /// The current head, or nil for an empty ledger.
    package static func head(_ db: Database) throws -> LedgerHead? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1") else { return nil }
        return LedgerHead(seq: row[0], hash: (row[1] as Data).hexString)
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

    /// Nil when the entry continues the chain; otherwise what is wrong with it.
    package mutating func check(seq: Int64, entry: Data, prevHash: Data, hash: Data) -> String? {
        entry.withUnsafeBytes { e in
            prevHash.withUnsafeBytes { p in
                hash.withUnsafeBytes { h in check(seq: seq, entry: e, prevHash: p, hash: h) }
            }
        }
    }

    /// The same on bytes read in place (the database verifier's hot loop).
    package mutating func check(seq: Int64, entry: UnsafeRawBufferPointer, prevHash: UnsafeRawBufferPointer,
                                hash: UnsafeRawBufferPointer) -> String? {
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
        recomputed.withUnsafeBytes { bytes in
            previous.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        }
        expectedSeq += 1
        return nil
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
