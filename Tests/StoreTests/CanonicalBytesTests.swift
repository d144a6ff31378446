import Core
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Ledger entries written without an encoder (the control runs every step appends) must be the bytes the encoder
/// writes: the hash covers them, and an auditor's verifier re-encodes nothing but must read them as canonical JSON.
@Suite("Canonical bytes by hand")
struct CanonicalBytesTests {
    /// Every ASCII character, the separators JSON allows raw, non-BMP text, a lone combining mark.
    static let awkward: String = {
        var text = ""
        for byte in 0..<0x80 { text.unicodeScalars.append(Unicode.Scalar(UInt8(byte))) }
        return text + "é\u{2028}\u{2029}😀\u{85}e\u{301} path/with/slashes \\\" end"
    }()

    struct Payload: Encodable {
        var text: String
        var list: [String]
        var n: Int
        var at: Date
    }

    @Test(arguments: [awkward, "", "plain", "control:mfa-enforced", "{\"json\":\"inside\"}"])
    func aStringIsWrittenAsTheEncoderWritesIt(text: String) throws {
        var bytes: [UInt8] = []
        CanonicalJSON.appendString(text, to: &bytes)
        #expect(bytes == Array(try CanonicalJSON.encode(text)))
    }

    /// A resource track written by hand (`StoreJSON.encode`) reads back as the same track, whatever its text and times,
    /// and as the encoder's own bytes read back.
    @Test(arguments: [nil, Date(timeIntervalSinceReferenceDate: -0.001), Date(timeIntervalSinceReferenceDate: 1e16)])
    func aTrackWrittenByHandReadsBackAsTheSameTrack(deadline: Date?) throws {
        var track = ResourceTrack(resource: ResourceRef(id: "github:" + Self.awkward, name: "J. \"Smith\"\n", kind: "account"),
                                  firstSeenAt: Date(timeIntervalSinceReferenceDate: 791_971_200.123_456_789),
                                  failingSince: Date(timeIntervalSinceReferenceDate: 1.0 / 3.0), consecutiveFailures: 1_000,
                                  observed: Self.awkward, expected: "disabled within 24h")
        track.policyDeadline = deadline
        let bytes = try StoreJSON.encode(track)
        #expect(try StoreJSON.decode(ResourceTrack.self, from: bytes) == track)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(try StoreJSON.decode(ResourceTrack.self, from: encoder.encode(track)) == track)
        #expect(try JSONSerialization.jsonObject(with: bytes) is [String: Any])
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 1_576_815, Int64.max])
    func anIntegerIsWrittenAsTheEncoderWritesIt(n: Int64) throws {
        var bytes: [UInt8] = []
        CanonicalJSON.appendInteger(n, to: &bytes)
        #expect(bytes == Array(try CanonicalJSON.encode(n)))
    }

    // (A subject holding NUL is left out: SQLite's text columns are not for it, whoever writes the entry.)
    @Test(arguments: [nil, "control:mfa-enforced", String(awkward.dropFirst())])
    func anEntryAppendedFromCanonicalBytesIsTheEncodersEntry(subject: String?) throws {
        // Given a payload with awkward text, appended once through the encoder and once from its canonical bytes
        let database = try BotDatabase.inMemory()
        let payload = Payload(text: Self.awkward, list: ["a/b", "\n"], n: -3, at: Sample.at(0.5))
        let kind = "kind \"quoted\"/\u{1}"
        try database.write { tx in
            try tx.appendEvidence(kind: kind, subject: subject, at: Sample.at(60), data: payload)
            try tx.appendEvidence(kind: kind, subject: subject, at: Sample.at(120), canonicalData: Array(try CanonicalJSON.encode(payload)))
        }

        // Then both entries are what the encoder writes for the whole entry, and the chain verifies
        let rows = try ledgerRows(database)
        #expect(rows.count == 2)
        for row in rows {
            let expected = try CanonicalJSON.encode(LedgerEntry(seq: row.seq, at: row.at, kind: kind, subject: subject, data: payload))
            #expect(row.entry == expected, "\(String(decoding: row.entry, as: UTF8.self))")
        }
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
    }
}
