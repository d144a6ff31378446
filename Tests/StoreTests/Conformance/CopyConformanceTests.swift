import Core
import Foundation
import Store
import Testing
import TestSupport

/// Moving a deployment between stores (`StoreCopy`, `soc2bot store copy`), from every store to every store: every
/// row as it was stored, the ledger byte for byte, ids that go on growing; a non-empty target, a tampered source and
/// a table the copy does not know are refused, and the target keeps nothing of a refused copy.
@Suite("Store copy")
struct CopyConformanceTests {
    let control = Sample.control()
    let sla = Sample.config().sla(for: Sample.control())
    let slack = ChatDestination.channel(.slack, Sample.slackChannel)

    /// A deployment with something in every table: alerts (one ended, one live with a timer and message refs),
    /// tracks, runs, a run request, outbox messages delivered, failing and given up on, cursors, a Matrix prompt, a
    /// seen request and ledger entries. Then a rolled-back alert, so the id counter is ahead of the largest id.
    func fill(_ database: BotDatabase) throws {
        try database.write { tx in
            let ann = try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla)
            var ended = ann
            ended.state = .resolved
            ended.endedAt = Sample.at(Sample.hour)
            ended.version += 1
            try tx.saveAlert(ended, expectedVersion: ann.version)
            let bob = try tx.openAlert(control: control, draft: Sample.draft("bob"), at: Sample.at(2), sla: sla)
            try tx.setTimer(bob.id, at: Sample.at(Sample.day))
            try tx.saveMessageRef(MessageRef(platform: .slack, channel: Sample.slackChannel, messageID: "1772000000.000100"), alert: bob.id)
            try tx.saveMessageRef(MessageRef(platform: .matrix, channel: "!infra:hs", messageID: "$event"), alert: bob.id)
            try tx.saveTracks([ResourceTrack(resource: Sample.account("bob"), firstSeenAt: Sample.t0, failingSince: Sample.t0, consecutiveFailures: 3,
                                             observed: "MFA off", expected: "MFA on")], control: control.id)
            try tx.recordRun(CheckRunRecord(control: control.id, at: Sample.at(2), passed: 4, failed: 1, errors: 0, digest: "abc"))
            try tx.requestRuns([ControlID("sso-only")], at: Sample.at(3))
            let delivered = try tx.enqueue(alert: bob.id, kind: .post, destination: slack, payload: Data("post".utf8), at: Sample.at(2))
            try tx.markDelivered(delivered, at: Sample.at(4))
            let failing = try tx.enqueue(alert: bob.id, kind: .post, destination: .channel(.matrix, "!infra:hs"), payload: Data("post".utf8), at: Sample.at(2))
            try tx.markFailed(failing, error: "429", retryAt: Sample.at(60))
            let lost = try tx.enqueue(alert: nil, kind: .direct, destination: .direct(.slack, "U0GONE"), payload: Data("dm".utf8), at: Sample.at(3))
            try tx.markUndeliverable(lost, error: "user_not_found")
            try tx.setCursor("matrix.since", "s72_1_2")
            try tx.saveMatrixPrompt(MatrixPrompt(sender: "@dana:hs", root: "$event", room: "!infra:hs", command: "snooze", expiresAt: Sample.at(Sample.day)),
                                    now: Sample.t0)
            _ = try tx.firstSighting("v0=abc", now: Sample.t0, expires: Sample.at(300))
            for n in 0..<5 {
                try tx.appendEvidence(kind: "control_run", subject: "mfa-enforced", at: Sample.at(Double(n)), data: ["n": n])
            }
            try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(5), data: ["text": "naïve ✓ \u{1F512}"])
        }
        _ = try? database.write { tx -> Void in
            _ = try tx.openAlert(control: control, draft: Sample.draft("cy"), at: Sample.at(9), sla: sla)
            throw StoreError.notFound("a reason to roll back")
        }
    }

    /// Every ledger row's columns, as stored.
    func ledger(_ database: BotDatabase) throws -> [[String]] {
        var rows: [[String]] = []
        try database.read { tx in
            try tx.ledgerRows { row in
                rows.append([String(row.seq), row.at, row.kind, row.subject ?? "NULL", row.entry.base64EncodedString(),
                             row.prevHash.base64EncodedString(), row.hash.base64EncodedString()])
            }
        }
        return rows
    }

    @Test(arguments: StoreFactory.all, StoreFactory.all)
    func aCopyHoldsEveryRowAsStoredAndIdsGoOn(_ from: StoreFactory, _ to: StoreFactory) throws {
        // Given a deployment with something in every table
        let source = try from.make()
        try fill(source)
        let target = try to.make()

        // When it is copied
        let summary = try StoreCopy.copy(from: source, to: target, batchSize: 2)

        // Then everything reads back the same through the repositories
        let sourceVerdict = try source.read { try $0.verifyLedger() }
        #expect(sourceVerdict.isIntact)
        #expect(summary.ledger == sourceVerdict)
        #expect(try target.read { try $0.verifyLedger() } == sourceVerdict)
        #expect(try ledger(target) == ledger(source))
        #expect(try target.read { try $0.alerts() } == source.read { try $0.alerts() })
        #expect(try target.read { try $0.alertFacts() } == source.read { try $0.alertFacts() })
        #expect(try target.read { try $0.messageRefs(alert: AlertID(2)) } == source.read { try $0.messageRefs(alert: AlertID(2)) })
        #expect(try target.read { try $0.alert(messageID: "$event", platform: .matrix, channel: "!infra:hs") } == AlertID(2))
        #expect(try target.read { try $0.nextTimerAt() } == Sample.at(Sample.day))
        #expect(try target.read { try $0.tracks(control: control.id) } == source.read { try $0.tracks(control: control.id) })
        #expect(try target.read { try $0.latestRuns() } == source.read { try $0.latestRuns() })
        #expect(try target.read { try $0.requestedRuns() } == [ControlID("sso-only")])
        #expect(try target.read { try $0.allOutbox() } == source.read { try $0.allOutbox() })
        #expect(try target.read { try $0.undeliverableOutbox() }.map(\.lastError) == ["user_not_found"])
        #expect(try target.read { try $0.outboxFailing() } == source.read { try $0.outboxFailing() })
        #expect(try target.read { try $0.cursor("matrix.since") } == "s72_1_2")
        #expect(try target.read { try $0.matrixPrompt(sender: "@dana:hs", root: "$event") }
                == source.read { try $0.matrixPrompt(sender: "@dana:hs", root: "$event") })
        #expect(try target.read { try $0.alreadySeen("v0=abc", now: Sample.at(1)) })
        #expect(summary.rows.map(\.count) == [2, 2, 1, 1, 3, 2, 1, 1, 6])

        // And ids go on from where the source's counters are (its rolled-back alert 3 used a number on PostgreSQL, not on
        // SQLite): the next alert gets the same id in both
        let sourceNext = try source.write { try $0.openAlert(control: control, draft: Sample.draft("dee"), at: Sample.at(20), sla: sla) }.id
        let next = try target.write { try $0.openAlert(control: control, draft: Sample.draft("dee"), at: Sample.at(20), sla: sla) }.id
        #expect(next == sourceNext)
        #expect(next.rawValue >= 3)
        #expect(try target.write { try $0.enqueue(alert: nil, kind: .direct, destination: slack, payload: Data(), at: Sample.at(20)) } == 4)
        try target.write { try $0.recordRun(CheckRunRecord(control: control.id, at: Sample.at(30), passed: 1, failed: 0, errors: 0, digest: "d")) }
        #expect(try target.read { try $0.newestRunID() } == 2)
        // And the copied ledger takes new appends on its head
        try target.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(40), data: ["after": "copy"]) }
        #expect(try target.read { try $0.verifyLedger() }.isIntact)
    }

    @Test(arguments: StoreFactory.all)
    func aCopyIntoADatabaseThatIsNotEmptyIsRefused(_ store: StoreFactory) throws {
        let source = try StoreFactory.sqlite.make()
        try fill(source)
        let target = try store.make()
        try target.write { try $0.setCursor("matrix.since", "theirs") }

        #expect(throws: StoreCopy.Refusal.targetNotEmpty(location: target.path, rows: ["1 cursor row"])) {
            try StoreCopy.copy(from: source, to: target)
        }
        #expect(try target.read { try $0.cursor("matrix.since") } == "theirs")
        #expect(try target.read { try $0.alertCount() } == 0)
        #expect(try target.read { try $0.ledgerHead() } == nil)
    }

    @Test(arguments: StoreFactory.all)
    func aSourceWhoseLedgerWasTamperedWithIsRefused(_ store: StoreFactory) throws {
        // Given a source whose third entry was changed behind the bot's back
        let source = try store.make()
        try fill(source)
        try store.alterLedgerEntry(source, 3, Data(#"{"n":99}"#.utf8))
        let target = try StoreFactory.sqlite.make()

        // Then the copy refuses, naming the entry, and writes nothing
        let error = try #require(throws: BrokenLedgerError.self) { try StoreCopy.copy(from: source, to: target) }
        #expect(error.path == source.path)
        guard case .broken(let seq, _) = error.verdict else { Issue.record("\(error.verdict)"); return }
        #expect(seq == 3)
        #expect(try target.read { try $0.alertCount() } == 0)
        #expect(try target.read { try $0.ledgerHead() } == nil)
    }

    /// The copy moves the tables `StoreTable` lists: they are exactly the embedded store's tables, and every store has
    /// each of them with at least its columns (a migration that adds state to one store only would lose it in a copy;
    /// a table or column a store keeps for its own coordination may be extra).
    @Test(arguments: StoreFactory.all)
    func everyTableOfTheEmbeddedSchemaIsOneTheCopyMovesOnEveryStore(_ store: StoreFactory) throws {
        let sqlite = try StoreFactory.sqlite.make().read { try $0.storedTables() }
        #expect(sqlite.keys.sorted() == StoreTable.allCases.map(\.rawValue).sorted())
        let tables = try store.make().read { try $0.storedTables() }
        for (table, columns) in sqlite {
            #expect(Set(columns).subtracting(tables[table] ?? []).isEmpty, "table \(table) on \(store.name) lacks \(Set(columns).subtracting(tables[table] ?? []))")
        }
    }

    /// What only the source's kind of store has (a coordination table, a column) stays behind and is named; a table
    /// both databases have that the copy does not know is refused.
    @Test func whatTheTargetHasNoPlaceForIsNamedAndATableBothHaveButTheCopyDoesNotKnowIsRefused() throws {
        let source = try StoreFactory.sqlite.make()
        try fill(source)
        try source.writer.write { db in
            try db.execute(sql: "CREATE TABLE replica_lease (holder TEXT); INSERT INTO replica_lease VALUES ('r1'); ALTER TABLE outbox ADD COLUMN lease_holder TEXT")
        }
        let target = try StoreFactory.sqlite.make()
        let summary = try StoreCopy.copy(from: source, to: target)
        #expect(summary.leftBehind == ["replica_lease", "outbox.lease_holder"])
        #expect(try target.read { try $0.allOutbox() } == source.read { try $0.allOutbox() })

        let other = try StoreFactory.sqlite.make()
        try other.writer.write { try $0.execute(sql: "CREATE TABLE replica_lease (holder TEXT)") }
        #expect(throws: StoreCopy.Refusal.unknownTables(location: source.path, tables: ["replica_lease"])) {
            try StoreCopy.copy(from: source, to: other)
        }
        #expect(try other.read { try $0.alertCount() } == 0)
    }

    /// A value the target's column would convert (text where a number belongs, a fraction in an integer column) is
    /// refused, never converted.
    @Test(arguments: StoreFactory.all)
    func aValueOfAnotherKindThanItsColumnIsRefused(_ store: StoreFactory) throws {
        let target = try store.make()
        #expect(throws: StoreError.self) {
            try target.write { try $0.insertCopiedRows([[.text("x"), .text("C0"), .real(1.5), .text("1")]], into: .checkRun,
                                                       columns: ["control_id", "digest", "passed", "at"]) }
        }
        #expect(try target.read { try $0.checkRunCount() } == 0)
    }
}
