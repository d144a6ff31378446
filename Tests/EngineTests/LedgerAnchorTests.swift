import Core
import Engine
import Foundation
import GRDB
import HTTP
import Reports
import Store
import Testing
import TestSupport

/// Anchoring the ledger head outside the bot: signed checkpoints in a directory, RFC 3161 timestamps from a real TSA
/// (Debian's `openssl ts`, started by scripts/test), and `evidence verify` / offline verification checking each anchor.
@Suite("Ledger anchors")
struct LedgerAnchorTests {
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)

    /// Appends `count` entries numbered from `first`, one a minute after t0 (ledger time never goes backwards).
    @discardableResult
    static func ledger(_ count: Int, database: BotDatabase? = nil, from first: Int = 1) throws -> BotDatabase {
        let database = try database ?? BotDatabase.inMemory()
        try database.write { tx in
            for n in first..<(first + count) {
                try tx.appendEvidence(kind: "test", subject: "t\(n)", at: t0.addingTimeInterval(Double(n) * 60), data: ["n": n])
            }
        }
        return database
    }

    static func anchoring(_ database: BotDatabase, dir: URL?, tsa: String? = nil, signer: TrustCenter?) -> LedgerAnchoring {
        LedgerAnchoring(settings: LedgerAnchorSettings(every: 86_400, checkpoints: dir?.path, tsa: tsa), organisation: "Acme",
                        database: database, signer: signer)
    }

    /// The chain must verify on its own (cutting or rewriting a tail leaves a valid chain); then the anchors are checked.
    static func check(_ database: BotDatabase, dir: URL?, key: String?, tsa: Bool = false) throws -> LedgerAnchors.Report {
        try database.read { tx in
            let verdict = try tx.verifyLedger()
            #expect(verdict.isIntact, "\(verdict)")
            return try LedgerAnchors.check(tx, directory: dir, publicKeyPEM: key, tsaConfigured: tsa)
        }
    }

    /// Deletes the entries from `seq` on, behind the bot's back.
    static func cut(_ database: BotDatabase, from seq: Int64) throws {
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS ledger_no_delete")
            try db.execute(sql: "DELETE FROM ledger WHERE seq >= ?", arguments: [seq])
        }
    }

    static func newSigner() throws -> TrustCenter { try TrustCenter(base64Key: TrustCenter.generate().base64Key) }

    static func tsaURL() throws -> String {
        try #require(ProcessInfo.processInfo.environment["SOC2BOT_TEST_TSA_URL"], "SOC2BOT_TEST_TSA_URL is not set: run the tests with scripts/test, which starts a TSA")
    }

    static func tsaChain() throws -> String {
        try #require(ProcessInfo.processInfo.environment["SOC2BOT_TEST_TSA_CHAIN"], "SOC2BOT_TEST_TSA_CHAIN is not set: run the tests with scripts/test")
    }

    /// Runs openssl in `dir` and returns its exit status.
    static func openssl(_ arguments: [String], in dir: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.currentDirectoryURL = dir
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func hash(_ database: BotDatabase, _ seq: Int64) throws -> String {
        try #require(try database.read { try $0.ledgerHash(seq: seq) }).hexString
    }

    @Test func cuttingTheLedgerAfterACheckpointIsDetectedNamingTheCheckpoint() async throws {
        try await withTemporaryDirectory { dir in
            // Given a ledger anchored twice: at entry 5 (anchor entry 6) and at entry 8 (anchor entry 9)
            let database = try Self.ledger(5)
            let signer = try Self.newSigner()
            let anchoring = Self.anchoring(database, dir: dir, signer: signer)
            let first = try #require(try await anchoring.anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule"))
            let hash5 = try Self.hash(database, 5)
            #expect(first.seq == 5 && first.checkpoint == "checkpoint-000000000005" && first.hash == hash5)
            try Self.ledger(2, database: database, from: 7)
            let second = try #require(try await anchoring.anchor(at: Self.t0.addingTimeInterval(7200), reason: "schedule"))
            #expect(second.seq == 8)
            #expect(try String(contentsOf: dir.appendingPathComponent("public-key.pem"), encoding: .utf8) == signer.publicKeyPEM)
            var report = try Self.check(database, dir: dir, key: signer.publicKeyPEM)
            #expect(report.problems.isEmpty && report.checked == 4, "\(report)")

            // When entries 7 on are deleted (the chain that is left still verifies)
            try Self.cut(database, from: 7)

            // Then the checkpoint of entry 8 shows it, by name
            report = try Self.check(database, dir: dir, key: signer.publicKeyPEM)
            #expect(report.problems.map(\.seq) == [7], "\(report)")
            #expect(report.problems.first?.reason.contains("checkpoint checkpoint-000000000008") == true, "\(report)")
            #expect(report.problems.first?.reason.contains("entries after 6 were removed") == true, "\(report)")
        }
    }

    @Test func rewritingTheLedgerAfterACheckpointIsDetected() async throws {
        try await withTemporaryDirectory { dir in
            // Given a ledger anchored at entry 5
            let database = try Self.ledger(5)
            let signer = try Self.newSigner()
            try await Self.anchoring(database, dir: dir, signer: signer).anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule")

            // When entries 3 on are replaced by a chain of other entries (it verifies on its own)
            try Self.cut(database, from: 3)
            try Self.ledger(4, database: database, from: 30)

            // Then the checkpoint names entry 5 as rewritten
            let report = try Self.check(database, dir: dir, key: signer.publicKeyPEM)
            #expect(report.problems.map(\.seq) == [5], "\(report)")
            #expect(report.problems.first?.reason.contains("rewritten") == true)

            // And a second anchor of the same head (another process anchoring at the same moment) gets a name of its own
            let again = try LedgerAnchors.writeCheckpoint(.init(organisation: "Acme", seq: 5, hash: try Self.hash(database, 5), at: "2026-03-02T11:00:00.000Z"),
                                                          signer: signer, directory: dir)
            #expect(again.name == "checkpoint-000000000005-2")
        }
    }

    @Test func aForgedOrAlteredCheckpointIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            // Given a checkpoint of entry 5 signed with the bot's key
            let database = try Self.ledger(5)
            let signer = try Self.newSigner()
            try await Self.anchoring(database, dir: dir, signer: signer).anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule")

            // When someone adds a checkpoint of entry 40 signed with another key, and changes the hash in entry 5's
            _ = try LedgerAnchors.writeCheckpoint(.init(organisation: "Acme", seq: 40, hash: String(repeating: "ab", count: 32), at: "2026-03-02T10:00:00.000Z"),
                                                  signer: try Self.newSigner(), directory: dir)
            let file = dir.appendingPathComponent("checkpoint-000000000005.json")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: try Self.hash(database, 5), with: String(repeating: "cd", count: 32)).write(to: file, atomically: true, encoding: .utf8)

            // Then both are refused as forged, and neither is taken for a cut ledger
            let report = try Self.check(database, dir: dir, key: signer.publicKeyPEM)
            #expect(report.problems.map(\.seq) == [5, 40], "\(report)")
            #expect(report.problems.allSatisfy { $0.reason.contains("forged or altered (its signature does not verify): refused") }, "\(report)")
        }
    }

    @Test func aRealTSAStampsTheHeadAndCuttingTheLedgerAfterTheTimestampIsDetected() async throws {
        let tsa = try Self.tsaURL(), chain = try Self.tsaChain()
        try await withTemporaryDirectory { dir in
            // Given a ledger whose head (entry 5) a TSA stamped, with no checkpoint key: the timestamp alone anchors it
            let database = try Self.ledger(5)
            let record = try #require(try await Self.anchoring(database, dir: dir, tsa: tsa, signer: nil).anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule"))
            #expect(record.timestamp != nil && record.timestampError == nil, "\(record)")
            #expect(record.checkpoint == nil && record.checkpointError != nil)
            let hash = try Self.hash(database, 5)
            #expect(try Self.openssl(["ts", "-verify", "-in", "checkpoint-000000000005.tsr", "-digest", hash, "-CAfile", chain], in: dir) == 0,
                    "openssl verifies the timestamp against the TSA's chain")
            try Self.ledger(3, database: database, from: 7)
            var report = try Self.check(database, dir: dir, key: nil)
            #expect(report.problems.isEmpty && report.checked == 2, "\(report)")

            // When entries 4 on are deleted
            try Self.cut(database, from: 4)

            // Then the timestamp shows it, naming its file and the TSA's time
            report = try Self.check(database, dir: dir, key: nil)
            #expect(report.problems.map(\.seq) == [4], "\(report)")
            #expect(report.problems.first?.reason.contains("timestamp checkpoint-000000000005.tsr (TSA time ") == true, "\(report)")
        }
    }

    @Test func aForgedTimestampIsRefused() async throws {
        let tsa = try Self.tsaURL(), chain = try Self.tsaChain()
        try await withTemporaryDirectory { dir in
            // Given a genuine timestamp of entry 5
            let database = try Self.ledger(5)
            try await Self.anchoring(database, dir: dir, tsa: tsa, signer: nil).anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule")
            let hash = try Self.hash(database, 5)
            let file = dir.appendingPathComponent("checkpoint-000000000005.tsr")
            let genuine = try Data(contentsOf: file)
            func verifiedByOpenssl(_ response: Data) throws -> Bool {
                try response.write(to: dir.appendingPathComponent("candidate.tsr"))
                return try Self.openssl(["ts", "-verify", "-in", "candidate.tsr", "-digest", hash, "-CAfile", chain], in: dir) == 0
            }
            #expect(try verifiedByOpenssl(genuine))

            // When its time is moved a year back (the GeneralizedTime's year digit), Then openssl refuses its signature
            var backdated = genuine
            let time = try #require(backdated.firstRange(of: Data([0x18, 0x0F, 0x32, 0x30])))
            backdated[time.lowerBound + 5] -= 1
            #expect(try TimeStampProtocol.readResponse(backdated).info.time < TimeStampProtocol.readResponse(genuine).info.time)
            #expect(try !verifiedByOpenssl(backdated), "a backdated token fails the TSA's signature")

            // When its imprint is changed, Then soc2bot refuses it too (it stamps no entry of the chain), and openssl
            var altered = genuine
            let hashBytes = try #require(Data(hex: hash))
            let imprint = try #require(altered.firstRange(of: hashBytes))
            altered[imprint.upperBound - 1] ^= 0x01
            try altered.write(to: file)
            let report = try Self.check(database, dir: dir, key: nil)
            #expect(report.problems.map(\.seq) == [5], "\(report)")
            #expect(report.problems.first?.reason.contains("timestamp checkpoint-000000000005.tsr") == true, "\(report)")
            #expect(try !verifiedByOpenssl(altered))
        }
    }

    @Test func aReplayedTimestampIsRefusedWhenItIsAsked() async throws {
        let tsa = try Self.tsaURL()
        // Given a genuine TSA response for entry 5's hash
        let database = try Self.ledger(5)
        let genuine = try #require(try await Self.anchoring(database, dir: nil, tsa: tsa, signer: nil).anchor(at: Self.t0.addingTimeInterval(3600), reason: "schedule"))
        let stamp = try #require(genuine.timestamp)
        let response = try #require(Data(base64Encoded: stamp.response))
        // A TSA (or a man in the middle) that answers every request with that response
        let replaying = LedgerAnchoring(settings: LedgerAnchorSettings(every: 86_400, tsa: tsa), organisation: "Acme", database: database, signer: nil,
                                        transport: CannedTransport([HTTPResponse(status: 200, body: response), HTTPResponse(status: 200, body: response)]))

        // When the same hash is asked for again, Then the old token is refused: it does not carry the new nonce
        let again = try #require(Data(hex: genuine.hash))
        await #expect(throws: LedgerAnchoring.TimestampError.self) { try await replaying.timestamp(imprint: again, url: URL(string: tsa)!) }
        // When the next head is anchored, Then the anchor is recorded without the token, which stamps another hash
        let next = try #require(try await replaying.anchor(at: Self.t0.addingTimeInterval(7200), reason: "schedule"))
        #expect(next.seq == 6 && next.timestamp == nil && next.timestampError == "the TSA's token stamps another hash: refused", "\(next)")
    }

    @Test func aTSAThatIsDownIsRetriedLaterWithoutBlockingAndTheGapIsReported() async throws {
        try await withTemporaryDirectory { dir in
            // Given a TSA nobody answers at (nothing listens on the discard port) and a checkpoint directory
            let database = try Self.ledger(5)
            let signer = try Self.newSigner()
            let down = LedgerAnchorWork(anchoring: Self.anchoring(database, dir: dir, tsa: "http://127.0.0.1:9/", signer: signer), start: Self.t0)
            #expect(try await down.nextDue() == Self.t0)

            // When the anchor is due
            let at = Self.t0.addingTimeInterval(3600)
            try await down.run(at: at)

            // Then the checkpoint is written and the anchor recorded without a timestamp, and it is retried in 15 minutes
            let entry = try #require(try database.read { try $0.latestEvidence(subject: LedgerAnchors.subject, kind: LedgerAnchors.kind) })
            let record = try #require(LedgerPayload.data(entry, kind: LedgerAnchors.kind, as: LedgerAnchors.Record.self))
            #expect(record.checkpoint == "checkpoint-000000000005" && record.timestamp == nil, "\(record)")
            #expect(record.timestampError?.contains("the TSA did not answer") == true, "\(record)")
            #expect(try await down.nextDue() == at.addingTimeInterval(LedgerAnchorSettings.tsaRetry))
            var report = try Self.check(database, dir: dir, key: signer.publicKeyPEM, tsa: true)
            #expect(report.problems.isEmpty, "\(report)")
            #expect(report.gaps.count == 1 && report.gaps[0].contains("has no TSA timestamp (the TSA did not answer")
                    && report.gaps[0].contains("no later anchor is timestamped yet"), "\(report)")
            let status = try database.read { try LedgerAnchors.status($0, settings: LedgerAnchorSettings(every: 86_400, tsa: "http://127.0.0.1:9/")) }
            #expect(status.contains("Ledger anchored at entry 5") && status.contains("GAP: no TSA timestamp (the TSA did not answer"), "\(status)")

            // When the TSA answers again at the retry
            let up = LedgerAnchorWork(anchoring: Self.anchoring(database, dir: dir, tsa: try Self.tsaURL(), signer: signer), start: Self.t0)
            let retry = at.addingTimeInterval(LedgerAnchorSettings.tsaRetry)
            #expect(try await up.nextDue() == retry)
            try await up.run(at: retry)

            // Then the head is stamped, the next anchor is a day later, and the gap names the anchor that closed it
            #expect(try await up.nextDue() == retry.addingTimeInterval(86_400))
            report = try Self.check(database, dir: dir, key: signer.publicKeyPEM, tsa: true)
            #expect(report.problems.isEmpty, "\(report)")
            #expect(report.gaps.count == 1 && report.gaps[0].contains("the next timestamped anchor is entry 7"), "\(report)")
            let closed = try database.read { try LedgerAnchors.status($0, settings: LedgerAnchorSettings(every: 86_400, tsa: "http://127.0.0.1:9/")) }
            #expect(closed.contains("Ledger anchored at entry 6") && closed.contains("TSA time") && !closed.contains("GAP"), "\(closed)")
        }
    }

    @Test func anExportCarriesItsAnchorsAndACutAfterItsLastAnchorFailsOfflineVerification() async throws {
        let tsa = try Self.tsaURL(), chain = try Self.tsaChain()
        try await withTemporaryDirectory { root in
            // Given a ledger anchored at entry 5 and at entry 9 (checkpoints and timestamps), then two more entries
            let checkpoints = root.appendingPathComponent("checkpoints"), out = root.appendingPathComponent("export")
            let database = try Self.ledger(5)
            let signer = try Self.newSigner()
            let anchoring = Self.anchoring(database, dir: checkpoints, tsa: tsa, signer: signer)
            try await anchoring.anchor(at: Self.t0.addingTimeInterval(600), reason: "schedule")
            try Self.ledger(3, database: database, from: 7)
            try await anchoring.anchor(at: Self.t0.addingTimeInterval(1200), reason: "schedule")
            try Self.ledger(2, database: database, from: 11)

            // When the hour is exported with its anchors
            _ = try EvidenceExport.export(database: database, config: EngineFixtures.config(), from: Self.t0, to: Self.t0.addingTimeInterval(3600),
                                          exportedAt: Self.t0.addingTimeInterval(3600), directory: out, signer: signer,
                                          anchorFiles: .init(checkpoints: checkpoints, tsaCertificates: URL(fileURLWithPath: chain)))

            // Then it verifies offline, with soc2bot and with openssl as VERIFY.md says
            #expect(try EvidenceExport.verify(directory: out) == .intact(entries: 12, head: try Self.hash(database, 12)))
            let verify = try String(contentsOf: out.appendingPathComponent("VERIFY.md"), encoding: .utf8)
            #expect(verify.contains("openssl ts -verify -in anchors/checkpoint-<seq>.tsr -digest <hash of entry seq> -CAfile tsa-chain.pem"))
            #expect(try Self.openssl(["ts", "-verify", "-in", "anchors/checkpoint-000000000009.tsr", "-digest", try Self.hash(database, 9),
                                      "-CAfile", "tsa-chain.pem"], in: out) == 0)
            #expect(try Self.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "anchors/public-key.pem", "-rawin",
                                      "-in", "anchors/checkpoint-000000000009.json", "-sigfile", "anchors/checkpoint-000000000009.json.sig"], in: out) == 0)

            // When the export is cut from entry 9 (the last anchored head) on, and anchor.json made to agree (its signature removed)
            let lines = try String(contentsOf: out.appendingPathComponent("ledger.jsonl"), encoding: .utf8).split(separator: "\n")
            try (lines.prefix(8).joined(separator: "\n") + "\n").write(to: out.appendingPathComponent("ledger.jsonl"), atomically: true, encoding: .utf8)
            let anchorURL = out.appendingPathComponent("anchor.json")
            var anchor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: anchorURL)) as? [String: Any])
            anchor["lastSeq"] = 8
            anchor["headHash"] = try Self.hash(database, 8)
            try JSONSerialization.data(withJSONObject: anchor).write(to: anchorURL)
            try FileManager.default.removeItem(at: out.appendingPathComponent("anchor.json.sig"))
            try FileManager.default.removeItem(at: out.appendingPathComponent("public-key.pem"))

            // Then offline verification fails, naming the checkpoint of entry 9
            let verdict = try EvidenceExport.verify(directory: out)
            guard case .broken(let seq, let reason) = verdict else { Issue.record("\(verdict)"); return }
            #expect(seq == 9 && reason.contains("checkpoint checkpoint-000000000009") && reason.contains("entries after 8 were removed"), "\(verdict)")
        }
    }
}
