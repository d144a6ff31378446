import Core
import Foundation
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

@Suite("The evidence ledger on PostgreSQL", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresLedgerTests {
    /// A payload with nesting, escapes and numbers, as control runs and alert transitions carry.
    struct Payload: Encodable {
        var control: String
        var note: String
        var counts: [String: Int]
        var ratio: Double?
    }

    static let t0 = Date(timeIntervalSince1970: 1_772_000_000.5)

    /// The i-th append of the scenario: kinds and subjects vary, some without subject, some with non-ASCII text,
    /// and every seventh stamped before the head (a clock stepped back), which the ledger records at the head's time.
    static func append(_ i: Int, _ body: (String, String?, Date, Payload) throws -> LedgerHead) throws -> LedgerHead {
        let kinds = ["control_run", "alert_transition", "attestation", "access_review"]
        let subject: String? = switch i % 5 {
        case 0: nil
        case 1: "A-\(i)"
        case 2: "review:q\(i % 3)"
        case 3: "control:mfa-ënforced"
        default: "A-\(i % 4)"
        }
        let at = i % 7 == 6 ? t0 + Double(i) * 60 - 3_600 : t0 + Double(i) * 60 + 0.001
        return try body(kinds[i % kinds.count], subject, at,
                        Payload(control: "mfa", note: "line \(i)\n\"quoted\" \\ ✓", counts: ["passed": i, "failed": i % 3], ratio: i % 2 == 0 ? 0.1 * Double(i) : nil))
    }

    @Test func theSameAppendsGiveTheSameEntriesHashesAndQueriesAsOnSQLite() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let postgres = try PostgresDatabase(url: PostgresPeer.peerURL, settings: settings, poolSize: 2)
            let sqlite = try BotDatabase.inMemory()
            for i in 0..<60 {
                let onSQLite = try sqlite.write { tx in try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } }
                let onPostgres = try postgres.write { tx in try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } }
                #expect(onPostgres == onSQLite, "append \(i)")
            }
            // Appends in one transaction continue the head they locked.
            let batch = 60..<75
            let sqliteHead = try sqlite.write { tx in try batch.map { i in try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } } }
            let postgresHead = try postgres.write { tx in try batch.map { i in try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } } }
            #expect(postgresHead == sqliteHead)

            func rows(_ read: ((LedgerRow) throws -> Void) throws -> Void) throws -> [[String]] {
                var out: [[String]] = []
                try read { out.append(["\($0.seq)", $0.at, $0.kind, $0.subject ?? "∅", $0.entry.hexString, $0.prevHash.hexString, $0.hash.hexString]) }
                return out
            }
            let allSQLite = try sqlite.read { tx in try rows { try tx.ledgerRows($0) } }
            let allPostgres = try postgres.read { tx in try rows { try tx.ledgerRows($0) } }
            #expect(allSQLite.count == 75)
            #expect(allPostgres == allSQLite)

            let verdict = try postgres.read { try $0.verifyLedger() }
            #expect(verdict.isIntact)
            #expect(verdict == (try sqlite.read { try $0.verifyLedger() }))

            // Every ledger query answers the same on both stores.
            let from = Self.t0 + 600, to = Self.t0 + 2_400
            let period = DateInterval(start: from, end: to)
            /// The answers of every ledger query, in a form both stores are compared on.
            func answers(_ head: LedgerHead?, _ headTime: Date?, _ hash17: Data?, _ hash999: Data?, _ byKind: [Data], _ bySubject: [Data],
                         _ byPrefix: [Data], _ period: [[String]], _ tail: [[String]]) -> [String] {
                [String(describing: head), String(describing: headTime), hash17?.hexString ?? "∅", hash999?.hexString ?? "∅",
                 byKind.map(\.hexString).joined(separator: ","), bySubject.map(\.hexString).joined(separator: ","),
                 byPrefix.map(\.hexString).joined(separator: ","), period.map { $0.joined(separator: "|") }.joined(separator: ","),
                 tail.map { $0.joined(separator: "|") }.joined(separator: ",")]
            }
            let onSQLite = try sqlite.read { s in
                answers(try s.ledgerHead(), try s.ledgerHeadTime(), try s.ledgerHash(seq: 17), try s.ledgerHash(seq: 999),
                        try s.evidence(kind: "control_run", in: period), try s.evidence(subject: "control:mfa-ënforced"),
                        try s.evidence(subjectPrefix: "review:"), try rows { try s.ledgerRows(from: from, to: to, $0) },
                        try rows { try s.ledgerRows(fromSeq: 70, $0) })
            }
            let onPostgres = try postgres.read { p in
                answers(try p.ledgerHead(), try p.ledgerHeadTime(), try p.ledgerHash(seq: 17), try p.ledgerHash(seq: 999),
                        try p.evidence(kind: "control_run", in: period), try p.evidence(subject: "control:mfa-ënforced"),
                        try p.evidence(subjectPrefix: "review:"), try rows { try p.ledgerRows(from: from, to: to, $0) },
                        try rows { try p.ledgerRows(fromSeq: 70, $0) })
            }
            #expect(onPostgres == onSQLite)
            // None of the compared answers is empty, so the comparison says something.
            #expect(onSQLite[0] != "nil" && onSQLite[1] != "nil" && onSQLite[2] != "∅" && onSQLite[3] == "∅")
            #expect(onSQLite[4...].allSatisfy { !$0.isEmpty })

            // The lookups of one subject's newest entry, and a kind's count, answer the same too (through the
            // repository protocol both stores implement).
            func lookups(_ tx: any LedgerRepository) throws -> [String] {
                [try tx.latestEvidence(subject: "control:mfa-ënforced", kind: "control_run")?.hexString ?? "∅",
                 String(describing: try tx.lastEvidenceAt(subject: "control:mfa-ënforced", kind: "control_run")),
                 String(describing: try tx.lastEvidenceAt(subject: "nobody", kind: "control_run")),
                 "\(try tx.evidenceCount(kind: "access_review"))"]
            }
            let lookedUpOnSQLite = try sqlite.read { try lookups($0) }
            #expect(try postgres.read { try lookups($0) } == lookedUpOnSQLite)
            #expect(lookedUpOnSQLite[0] != "∅" && lookedUpOnSQLite[2] == "nil" && lookedUpOnSQLite[3] != "0")
        }
    }

    @Test func appendsHeldBackAreSeenByTheTransactionsOwnStatementsAndWrittenAtCommit() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let postgres = try PostgresDatabase(url: PostgresPeer.peerURL, settings: settings, poolSize: 1)
            let payload = Payload(control: "mfa", note: "n", counts: [:], ratio: nil)
            // Within one transaction: 1,203 appends (more than one batch), each visible to the next statement.
            let (returned, seen, head) = try postgres.write { tx in
                var last: LedgerHead?
                for i in 0..<1_203 { last = try tx.appendEvidence(kind: "k", subject: "s\(i % 2)", at: Self.t0, data: payload) }
                return (last, try tx.evidence(subject: "s0").count, try tx.ledgerHead())
            }
            #expect(returned?.seq == 1_203)
            #expect(seen == 602)
            #expect(head == returned)
            // Appends after the last statement are written at commit.
            try postgres.write { tx in _ = try tx.appendEvidence(kind: "k", subject: nil, at: Self.t0, data: payload) }
            let verdict = try postgres.read { try $0.verifyLedger() }
            guard case .intact(let entries, _) = verdict else { Issue.record("\(verdict)"); return }
            #expect(entries == 1_204)
            // An append in a read-only transaction is refused, never silently dropped.
            let refused = #expect(throws: PostgresError.self) {
                try postgres.read { tx in _ = try tx.appendEvidence(kind: "k", subject: nil, at: Self.t0, data: payload) }
            }
            #expect(refused?.sqlState == "25006")
        }
    }

    @Test func anEmptyLedgerHasNoHeadAndVerifies() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let postgres = try PostgresDatabase(url: PostgresPeer.peerURL, settings: settings, poolSize: 1)
            let (head, headTime, verdict) = try postgres.read { tx in (try tx.ledgerHead(), try tx.ledgerHeadTime(), try tx.verifyLedger()) }
            #expect(head == nil)
            #expect(headTime == nil)
            #expect(verdict == .intact(entries: 0, head: EvidenceLedger.genesis.hexString))
        }
    }

    /// An edit made behind the bot's back, by a superuser who disabled the triggers, and the entry verify names.
    @Test(arguments: [
        ("UPDATE ledger SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'line 5', 'line 6'), 'UTF8') WHERE seq = 6", Int64(6)),
        ("UPDATE ledger SET kind = 'forged' WHERE seq = 3", Int64(3)),
        ("UPDATE ledger SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 9", Int64(9)),
        ("DELETE FROM ledger WHERE seq = 4", Int64(5)),
        ("UPDATE ledger SET subject = NULL WHERE seq = 2", Int64(2)),
    ])
    func anEditBehindTheBotsBackIsFoundByVerify(edit: String, brokenAt: Int64) throws {
        try PostgresPeer.withFreshDatabase { settings in
            let postgres = try PostgresDatabase(url: PostgresPeer.peerURL, settings: settings, poolSize: 1)
            try postgres.write { tx in for i in 0..<12 { _ = try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } } }
            #expect(try postgres.read { try $0.verifyLedger() }.isIntact)

            let superuser = try PostgresConnection(url: PostgresPeer.peerURL, settings: settings)
            try superuser.execute("ALTER TABLE ledger DISABLE TRIGGER USER; \(edit); ALTER TABLE ledger ENABLE TRIGGER USER")
            let verdict = try postgres.read { try $0.verifyLedger() }
            guard case .broken(let seq, let reason) = verdict else {
                Issue.record("verify said \(verdict) after: \(edit)")
                return
            }
            #expect(seq == brokenAt, "\(reason)")
        }
    }

    @Test func updateDeleteTruncateAndAForkingInsertAreRefused() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let postgres = try PostgresDatabase(url: PostgresPeer.peerURL, settings: settings, poolSize: 1)
            try postgres.write { tx in for i in 0..<3 { _ = try Self.append(i) { try tx.appendEvidence(kind: $0, subject: $1, at: $2, data: $3) } } }
            let session = try PostgresConnection(url: PostgresPeer.peerURL, settings: settings)
            for statement in ["UPDATE ledger SET kind = 'x' WHERE seq = 1", "DELETE FROM ledger WHERE seq = 3", "TRUNCATE ledger"] {
                let error = #expect(throws: PostgresError.self, "\(statement)") { try session.execute(statement) }
                #expect(error?.message.contains("the evidence ledger is append-only") == true, "\(statement)")
            }
            // A row that does not continue the head (a second entry 3, or one claiming entry 4 after another head):
            // the chain cannot fork, whoever inserts.
            for seq in [Int64(3), 5] {
                let error = #expect(throws: PostgresError.self) {
                    try session.query("INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES ($1, 'x', 'k', NULL, '\\x00', '\\x00', '\\x00')", [.int(seq)])
                }
                #expect(error?.message.contains("does not continue the head") == true || error?.sqlState == "23505")
            }
            let head = try #require(try postgres.read { try $0.ledgerHead() })
            let verdict = try postgres.read { try $0.verifyLedger() }
            #expect(verdict == .intact(entries: 3, head: head.hash))
        }
    }

    @Test func fourReplicasAppendingAtOnceMakeOneUnforkedChain() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let url = try PostgresPeer.peerURL
            // Four replicas, each its own store (opened together: the migration runs once) and its own session.
            try PostgresPeer.onThreads(4) { replica in
                let database = try PostgresDatabase(url: url, settings: settings, poolSize: 1)
                for i in 0..<250 {
                    try database.write { tx in
                        _ = try tx.appendEvidence(kind: "control_run", subject: "replica:\(replica)", at: Self.t0 + Double(i),
                                                  data: Payload(control: "mfa", note: "replica \(replica) entry \(i)", counts: ["i": i], ratio: nil))
                    }
                }
            }
            let postgres = try PostgresDatabase(url: url, settings: settings, poolSize: 1)
            let verdict = try postgres.read { try $0.verifyLedger() }
            let head = try #require(try postgres.read { try $0.ledgerHead() })
            #expect(verdict == .intact(entries: 1_000, head: head.hash))
            for replica in 0..<4 {
                #expect(try postgres.read { try $0.evidence(subject: "replica:\(replica)") }.count == 250)
            }
            let migrations = try PostgresConnection(url: url, settings: settings).query("SELECT count(*) FROM soc2bot_migration")[0].decode(Int64.self, at: 0)
            #expect(migrations == Int64(PostgresSchema.migrations.count))
        }
    }
}
