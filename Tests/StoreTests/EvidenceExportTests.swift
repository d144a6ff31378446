import Core
import Foundation
import Reports
import Store
import Testing
import TestSupport

/// The auditor's export: written from the database, verified from its files alone.
@Suite("Evidence export")
struct EvidenceExportTests {
    /// A ledger of 10 notes, entry n at `t0 + n minutes`.
    func tenEntryLedger() throws -> BotDatabase {
        let database = try BotDatabase.inMemory()
        try appendNotes(database, count: 10)
        return database
    }

    @discardableResult
    func export(_ database: BotDatabase, to directory: URL, from: Date = Sample.t0, to: Date = Sample.at(Sample.day),
                signer: TrustCenter? = nil) throws -> EvidenceExport.Summary {
        try EvidenceExport.export(database: database, config: BotConfig(organisation: "Acme", people: [], teams: [], controls: []), from: from, to: to,
                                  exportedAt: Sample.at(2 * Sample.day), directory: directory, signer: signer)
    }

    func lines(_ directory: URL) throws -> [String] {
        try String(decoding: Data(contentsOf: directory.appendingPathComponent("ledger.jsonl")), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    func write(_ lines: [String], to directory: URL) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("ledger.jsonl"))
    }

    /// Changes one JSON field of `line` with `change`, as an editor with a JSON tool would.
    func edit(_ line: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        change(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func fullExportVerifiesFromItsFilesAlone() throws {
        let database = try tenEntryLedger()
        let head = try #require(try database.read { try $0.ledgerHead() })
        try withTemporaryDirectory { dir in
            let summary = try export(database, to: dir)

            #expect(summary.entries == 10)
            #expect(summary.firstSeq == 1)
            #expect(summary.lastSeq == 10)
            for file in summary.files {
                #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), "\(file)")
            }
            #expect(try lines(dir).count == 10)
            #expect(try EvidenceExport.verify(directory: dir) == .intact(entries: 10, head: head.hash))
        }
    }

    @Test func editingOneEntryBreaksTheExportAtThatEntry() throws {
        try withTemporaryDirectory { dir in
            try export(try tenEntryLedger(), to: dir)
            var rows = try lines(dir)

            rows[3] = try edit(rows[3]) { row in
                row["entry"] = (row["entry"] as? String)?.replacingOccurrences(of: #""n":4"#, with: #""n":40"#)
            }
            try write(rows, to: dir)

            let verdict = try EvidenceExport.verify(directory: dir)
            #expect(brokenSeq(verdict) == 4, "\(verdict)")
        }
    }

    /// The issue's case: the last rows' `at` moved to 2030 made an export of the period stop early, and verify.
    @Test func anExportRefusesALedgerWhoseTimesWereMoved() throws {
        // Given a ledger whose last 3 rows' times were moved years ahead (columns only: entries and hashes untouched)
        let database = try tenEntryLedger()
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET at = '2030-01-01T00:00:00.000Z' WHERE seq >= 8")
        }
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("export")

            // When the period is exported, Then the export refuses, naming the first moved row, and writes nothing
            let error = #expect(throws: EvidenceExport.BrokenLedger.self) { try export(database, to: out) }
            let verdict = try #require(error).verdict
            #expect(brokenSeq(verdict) == 8)
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test(arguments: ["at", "kind", "subject"])
    func editingAnExportedLinesColumnIsCaught(_ column: String) throws {
        try withTemporaryDirectory { dir in
            // Given an export whose line for entry 4 has one field beside `entry` changed
            try export(try tenEntryLedger(), to: dir)
            var rows = try lines(dir)
            rows[3] = try edit(rows[3]) { row in
                row[column] = column == "at" ? "2030-01-01T00:00:00.000Z" : "edited"
            }
            try write(rows, to: dir)

            // Then offline verification breaks at that entry, naming the field
            let verdict = try EvidenceExport.verify(directory: dir)
            #expect(brokenSeq(verdict) == 4, "\(verdict)")
            #expect(verdict.description.contains("`\(column)`"), "\(verdict)")
        }
    }

    /// Signed with the trust-center key, the anchor cannot be rewritten to match a shortened ledger.
    @Test func aSignedAnchorCatchesARewrittenHead() throws {
        try withTemporaryDirectory { dir in
            let (key, pem) = TrustCenter.generate()
            let summary = try export(try tenEntryLedger(), to: dir, signer: try TrustCenter(base64Key: key))
            #expect(summary.files.contains("anchor.json.sig") && summary.files.contains("report.html") && summary.files.contains("criteria.csv"))
            #expect(try String(contentsOf: dir.appendingPathComponent("public-key.pem"), encoding: .utf8) == pem)
            #expect(try EvidenceExport.verify(directory: dir).isIntact)
            #expect(try String(contentsOf: dir.appendingPathComponent("VERIFY.md"), encoding: .utf8).contains("openssl pkeyutl -verify"))
            #expect(try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8).contains("Acme — SOC 2 evidence"))

            // Drop the last entry and rewrite the head in anchor.json to match: the chain verifies, the signature does not.
            var rows = try lines(dir)
            let last = try #require(try JSONSerialization.jsonObject(with: Data(rows.removeLast().utf8)) as? [String: Any])
            try (rows.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("ledger.jsonl"), atomically: true, encoding: .utf8)
            let anchorURL = dir.appendingPathComponent("anchor.json")
            let anchor = try String(contentsOf: anchorURL, encoding: .utf8)
            let previous = try #require(try JSONSerialization.jsonObject(with: Data(rows.last!.utf8)) as? [String: Any])
            try anchor.replacingOccurrences(of: last["hash"] as! String, with: previous["hash"] as! String)
                .write(to: anchorURL, atomically: true, encoding: .utf8)
            let verdict = try EvidenceExport.verify(directory: dir)
            #expect(!verdict.isIntact && "\(verdict)".contains("does not match its signature"))
        }
    }

    @Test func deletingTheLastLineIsCaughtByTheHead() throws {
        try withTemporaryDirectory { dir in
            try export(try tenEntryLedger(), to: dir)

            try write(Array(try lines(dir).dropLast()), to: dir)

            // Entries 1…9 still chain, but they do not end at anchor.json's head: entry 10 is missing.
            let verdict = try EvidenceExport.verify(directory: dir)
            #expect(brokenSeq(verdict) == 10, "\(verdict)")
            #expect(verdict.description.contains("removed from the end"))
        }
    }

    @Test func emptyingTheLedgerFileIsCaught() throws {
        try withTemporaryDirectory { dir in
            try export(try tenEntryLedger(), to: dir)

            try Data().write(to: dir.appendingPathComponent("ledger.jsonl"))

            #expect(brokenSeq(try EvidenceExport.verify(directory: dir)) == 1)
        }
    }

    @Test func deletingAMiddleLineBreaksTheExportAtTheNextEntry() throws {
        try withTemporaryDirectory { dir in
            try export(try tenEntryLedger(), to: dir)
            var rows = try lines(dir)

            rows.remove(at: 4)
            try write(rows, to: dir)

            #expect(brokenSeq(try EvidenceExport.verify(directory: dir)) == 6)
        }
    }

    @Test func middlePeriodVerifiesFromItsAnchor() throws {
        let database = try tenEntryLedger()
        let (anchorHash, headHash) = try database.read { tx in
            (try tx.ledgerHash(seq: 3)!.hexString, try tx.ledgerHash(seq: 7)!.hexString)
        }
        try withTemporaryDirectory { dir in
            // Entries 4…7 were recorded in [t0 + 4 min, t0 + 8 min)
            let summary = try export(database, to: dir, from: Sample.at(4 * Sample.minute), to: Sample.at(8 * Sample.minute))

            #expect(summary.entries == 4)
            #expect(summary.firstSeq == 4)
            #expect(summary.lastSeq == 7)
            let anchor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("anchor.json"))) as? [String: Any])
            #expect(anchor["anchorHash"] as? String == anchorHash)
            #expect(anchor["headHash"] as? String == headHash)
            #expect(try EvidenceExport.verify(directory: dir) == .intact(entries: 4, head: headHash))
        }
    }

    @Test func middlePeriodWithAForgedAnchorIsBrokenAtItsFirstEntry() throws {
        try withTemporaryDirectory { dir in
            try export(try tenEntryLedger(), to: dir, from: Sample.at(4 * Sample.minute), to: Sample.at(8 * Sample.minute))
            let anchorURL = dir.appendingPathComponent("anchor.json")
            var anchor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: anchorURL)) as? [String: Any])

            anchor["anchorHash"] = String(repeating: "0", count: 64)
            try JSONSerialization.data(withJSONObject: anchor).write(to: anchorURL)

            #expect(brokenSeq(try EvidenceExport.verify(directory: dir)) == 4)
        }
    }

    @Test func periodExportIsAContiguousSliceEvenWhenTimesAreSlightlyOutOfOrder() throws {
        // Given entries whose times are not monotonic at the period's start (two writers, a few ms of skew):
        // seq 1 at t0 + 60 s, seq 2 at t0 + 59.99 s, seq 3 at t0 + 120 s
        let database = try BotDatabase.inMemory()
        for (n, offset) in [(1, 60.0), (2, 59.99), (3, 120.0)] {
            _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(offset), data: Note(n: n)) }
        }
        try withTemporaryDirectory { dir in
            // When the period starting at t0 + 60 s is exported
            let summary = try export(database, to: dir, from: Sample.at(60), to: Sample.at(Sample.hour))

            // Then it holds the whole chain from its first entry to its last, and verifies
            #expect(summary.firstSeq == 1)
            #expect(summary.lastSeq == 3)
            #expect(summary.entries == 3)
            #expect(try EvidenceExport.verify(directory: dir).isIntact)
        }
    }

    @Test func periodWithNoEntriesExportsAnEmptyLedgerThatVerifies() throws {
        let database = try tenEntryLedger()
        try withTemporaryDirectory { dir in
            let summary = try export(database, to: dir, from: Sample.at(2 * Sample.day), to: Sample.at(3 * Sample.day))

            #expect(summary.entries == 0)
            #expect(try EvidenceExport.verify(directory: dir).isIntact)
        }
    }
}
