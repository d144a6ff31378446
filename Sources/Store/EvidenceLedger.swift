import Core
import Crypto
import Foundation
import GRDB

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
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, entry, prev_hash, hash FROM ledger ORDER BY seq")
        var verifier = ChainVerifier()
        while let row = try rows.next() {
            let seq: Int64 = row[0]
            // Copies of the three blobs (a few hundred bytes) cost less than nesting closures that capture the
            // verifier, which makes every access to it a dynamic exclusivity check.
            guard let entry = row[1] as Data?, let prev = row[2] as Data?, let hash = row[3] as Data? else {
                return .broken(seq: seq, reason: "a column is missing")
            }
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
    private var previous = EvidenceLedger.genesis
    package init() {}
    /// Continues a chain whose entry `seq` had hash `hash` (verifying an exported slice).
    package init(startingAfter seq: Int64, hash: Data) {
        expectedSeq = seq + 1
        previous = hash
        firstSeqOffset = seq
    }
    private var firstSeqOffset: Int64 = 0

    /// Nil when the entry continues the chain; otherwise what is wrong with it.
    package mutating func check(seq: Int64, entry: Data, prevHash: Data, hash: Data) -> String? {
        if seq != expectedSeq {
            return seq > expectedSeq
                ? "expected entry \(expectedSeq) next, found \(seq): entries \(expectedSeq)…\(seq - 1) were deleted"
                : "entry \(seq) appears out of order after \(expectedSeq - 1)"
        }
        if prevHash != previous {
            return "its previous-hash does not match entry \(seq - 1): an entry before it was changed, inserted or reordered"
        }
        let recomputed = EvidenceLedger.chainHash(prev: previous, entry: entry)
        if recomputed != hash {
            return "its content does not match its hash: the entry was edited"
        }
        if !Self.embedsSequence(seq, in: entry) {
            return "its content names a different position: the entry was moved"
        }
        previous = recomputed
        expectedSeq += 1
        return nil
    }

    package var verdict: LedgerVerdict { .intact(entries: expectedSeq - 1 - firstSeqOffset, head: previous.hexString) }

    /// Canonical entries end with `"seq":<n>,"subject":…}` or `"seq":<n>}`; sorted keys make `seq` the penultimate key.
    /// The last `"seq":` in the bytes is the entry's own (a string cannot hold it unescaped), so only that one counts,
    /// not a `seq` nested in the payload. Reads the bytes in place: this runs once per entry on every verification.
    private static func embedsSequence(_ seq: Int64, in entry: Data) -> Bool {
        entry.withUnsafeBytes { bytes -> Bool in
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

extension Data {
    /// Lower-case hex.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses lower- or upper-case hex; nil on anything else.
    package init?(hex: String) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        guard high == nil else { return nil }
        self.init(bytes)
    }
}
