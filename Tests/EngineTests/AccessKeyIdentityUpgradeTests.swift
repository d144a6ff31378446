import Checks
import Core
import Engine
import FactSources
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Access keys used to be known by their id (`aws:key:AKIA…`); they are now known by their account and creation time
/// (`aws:key:alice/2026-01-02T03:04:05Z`), which IAM's credential report gives. Upgrading must not look like a
/// rotation: the `v7-aws-key-identity` migration re-keys what the old check left, so the next run finds the same
/// alert and track.
@Suite("Access keys: upgrading to their new identity keeps their alerts")
struct AccessKeyIdentityUpgradeTests {
    /// 2026-01-02T03:04:05Z, when alice's key was made.
    let created = Date(timeIntervalSince1970: 1_767_323_045)
    let maxAge: TimeInterval = 90 * 86_400
    let control = Sample.control(id: "key-rotation")

    /// A result as the check before v7 made it: the key by its id.
    func formerResult(keyID: String, login: String, created: Date) -> CheckResult {
        let due = created.addingTimeInterval(maxAge)
        return CheckResult(resource: ResourceRef(id: "aws:key:\(keyID)", name: "\(keyID) of \(login) (AWS)", kind: "access_key"),
                           status: .fail, expected: "active access keys rotated within 90d",
                           observed: "created \(TimeText.human(created)), due for rotation \(TimeText.human(due))", failingSince: due)
    }

    /// The check today, on what the credential report says of the same keys (no ids).
    func currentResults(_ keys: [(login: String, created: Date)], at now: Date) throws -> [CheckResult] {
        var facts = Facts()
        facts.accounts = keys.map { key in
            Account(system: "AWS", login: key.login, email: nil, active: true, mfaEnabled: nil, privileged: false, interactive: false,
                    accessKeys: [AccessKey(active: true, createdAt: key.created)])
        }
        return try CheckFactory.make(CheckSpec(type: "access_key_age", sources: ["aws"])).evaluate(facts, at: now)
    }

    @Test func anAlertOpenOnAKeyByItsOldIDStaysTheSameAlertAfterTheUpgrade() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("bot.sqlite").path
            let due = created.addingTimeInterval(maxAge)
            // Bob's key is made 30.6 s into a minute, as ListAccessKeys may date it; the report says 30 s.
            let bobCreated = created.addingTimeInterval(86_400 + 25.6)
            // Given a database the previous build wrote: alerts open on two keys by their ids, one acknowledged.
            let former = try BotDatabase.open(path: path)
            let engine = AlertEngine(config: Sample.config(controls: [control]), database: former)
            let first = try engine.reconcile(control, results: [formerResult(keyID: "AKIAALICE00000000001", login: "alice", created: created),
                                                                formerResult(keyID: "AKIABOB0000000000002", login: "123456789012/bob", created: bobCreated)],
                                             at: due.addingTimeInterval(2 * 86_400))
            #expect(first.opened.count == 2)
            // (v7 adds no table: taking its row out leaves the database as the previous build left it.)
            try former.writer.write { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v7-aws-key-identity'") }

            // When this build opens it and the check runs on the credential report's view of the same keys
            let upgraded = try BotDatabase.open(path: path)
            let next = AlertEngine(config: Sample.config(controls: [control]), database: upgraded)
            let later = due.addingTimeInterval(3 * 86_400)
            let results = try currentResults([("alice", created), ("123456789012/bob", Date(timeIntervalSince1970: bobCreated.timeIntervalSince1970.rounded(.down)))],
                                             at: later)
            let aliceKey = "aws:key:alice/2026-01-02T03:04:05Z", bobKey = "aws:key:123456789012/bob/2026-01-03T03:04:30Z"
            #expect(Set(results.map(\.resource.id)) == [aliceKey, bobKey])
            let summary = try next.reconcile(control, results: results, at: later)

            // Then nothing is resolved and nothing opened: the same alerts, under the keys' new ids, with their tracks.
            #expect(summary.opened.isEmpty && summary.resolved.isEmpty, "\(summary)")
            let live = try upgraded.read { try $0.liveAlerts(control: control.id) }
            #expect(Set(live.keys) == [aliceKey, bobKey])
            #expect(Set(live.values.map(\.id)) == Set(first.opened))
            #expect(live[aliceKey]?.findings.map(\.resource.id) == [aliceKey])
            #expect(Set(try upgraded.read { try $0.tracks(control: control.id) }.keys) == [aliceKey, bobKey])
            // Each re-keyed alert says so in the ledger, which still verifies.
            #expect(try upgraded.read { try $0.evidenceCount(kind: "alert_rekeyed") } == 2)
            let verdict = try upgraded.read { try $0.verifyLedger() }
            if case .broken = verdict { Issue.record("\(verdict)") }
        }
    }

    /// Only what the old check wrote is re-keyed, and only when its texts agree: a key whose observed creation time
    /// does not match is left as it was, and so are other resources.
    @Test func formerKeysAreRecognisedOnlyWhenTheirTextsAgree() {
        let result = formerResult(keyID: "AKIAALICE00000000001", login: "alice", created: created)
        #expect(AccessKeyIdentity.formerKey(result.resource, observed: result.observed, failingSince: result.failingSince!, expected: result.expected)
                == "aws:key:alice/2026-01-02T03:04:05Z")
        #expect(AccessKeyIdentity.formerKey(result.resource, observed: "created 2025-12-31 00:00 UTC, due …", failingSince: result.failingSince!,
                                            expected: result.expected) == nil)
        let bucket = ResourceRef(id: "s3:key:AKIA1", name: "AKIA1 of x (S3)", kind: "bucket")
        #expect(AccessKeyIdentity.formerKey(bucket, observed: result.observed, failingSince: result.failingSince!, expected: result.expected) == nil)
        let current = ResourceRef(id: "aws:key:alice/2026-01-02T03:04:05Z", name: "access key created 2026-01-02 of alice (AWS)", kind: "access_key")
        #expect(AccessKeyIdentity.formerKey(current, observed: result.observed, failingSince: result.failingSince!, expected: result.expected) == nil)
    }
}
