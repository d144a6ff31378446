import Core
import Foundation
import GRDB
import Store
import Testing

@Suite("Command line", .serialized)
struct CommandLineTests {
    /// Issue 14: a typo in a source's settings no longer passes `validate` (and silently scans us-east-1).
    @Test func validateRefusesASettingsTypoAndAURLWithoutSchemeInTheStarterManifests() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = CLI.repo.appendingPathComponent("manifests")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let sources = dir.appendingPathComponent("sources.yaml")
        let text = try String(contentsOf: sources, encoding: .utf8)
        let written = "settings: {regions: [us-east-1, eu-west-1]}"
        #expect(text.contains(written))
        try text.replacingOccurrences(of: written, with: "settings: {region: eu-west-1, endpoint: 127.0.0.1:5125}")
            .write(to: sources, atomically: true, encoding: .utf8)

        let result = try await CLI.run(["validate", "--manifests", dir.path])

        #expect(result.status == 1)
        #expect(result.stderr.contains("sources.yaml:9:16: unknown setting `region` for source `aws` of kind `aws` — did you mean `regions`?"), "\(result.stderr)")
        #expect(result.stderr.contains("sources.yaml:9:45: setting `endpoint` of source `aws` `127.0.0.1:5125` needs http:// or https://"), "\(result.stderr)")
    }

    /// `soc2bot reference` prints the sections manifests/README.md holds, generated from the descriptors.
    @Test func referencePrintsTheGeneratedSectionsOfTheManifestsReadme() async throws {
        let result = try await CLI.run(["reference"])
        #expect(result.status == 0)
        let readme = try String(contentsOf: CLI.repo.appendingPathComponent("manifests/README.md"), encoding: .utf8)
        let sections = result.stdout.components(separatedBy: "\n\n<!-- generated:")
        #expect(sections.count == 3)  // check types, source kinds, chat platforms
        for (index, section) in sections.enumerated() {
            let text = (index == 0 ? "" : "<!-- generated:") + section.trimmingCharacters(in: .newlines)
            #expect(readme.contains(text), "manifests/README.md lacks: \(text.prefix(120))")
        }
    }

    @Test func validateReportsEveryProblemWithItsPositionAndExitsOne() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        organisation: Broken Co
        security_leads: [nobody]
        teams:
          - id: infra
            name: Infra
            manager: ghost
        controls:
          - id: c1
            title: T
            criteria: [XX9]
            owner: infra
            severity: urgent
            cadence: soon
            check: {type: offboarding}
            remediation: R
        """.write(to: dir.appendingPathComponent("all.yaml"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", "--manifests", dir.path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("all.yaml:") }
        #expect(lines.count >= 5, "\(result.stderr)")
        #expect(lines.allSatisfy { $0.range(of: #"all\.yaml:\d+:\d+: "#, options: .regularExpression) != nil })
        #expect(result.stderr.contains("all.yaml:12:15"))   // severity: urgent
    }

    @Test func theShippedManifestsValidate() async throws {
        #expect(try await CLI.run(["validate"]).status == 0)
        #expect(try await CLI.run(["validate", "--manifests", "manifests/demo"]).status == 0)
    }

    @Test func checkIsACIGate() async throws {
        // The demo organisation at the scenario's start: the vendor report is expired → a failure, exit 1.
        let table = try await CLI.run(["check", "--manifests", "manifests/demo"])
        #expect(table.status == 1, "\(table.stderr)")
        #expect(table.stdout.contains("vendor-soc2-reports") && table.stdout.contains("FAIL"))
        let json = try await CLI.run(["check", "--manifests", "manifests/demo", "--json", "--only", "audit-trail"])
        #expect(json.status == 0)
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.first?["status"] as? String == "pass")
        // The starter set's systems have no credentials here: errors (exit 2), never passes. Only the vendor register,
        // which is data in the manifests themselves, can be judged.
        let starter = try await CLI.run(["check", "--json"])
        #expect(starter.status == 2)
        let starterRows = try #require(try JSONSerialization.jsonObject(with: Data(starter.stdout.utf8)) as? [[String: Any]])
        let passing = starterRows.filter { $0["status"] as? String == "pass" }.compactMap { $0["control"] as? String }
        #expect(passing.allSatisfy { $0.hasPrefix("vendor-") }, "\(passing)")
        #expect(starterRows.contains { $0["control"] as? String == "offboarding-sla" && $0["status"] as? String == "error" })
    }

    /// `--format json` lists every resource judged, passing ones too, by the id the source gives it, its kind and its
    /// status, so a pipeline can diff two runs.
    @Test func checkJSONListsEveryResourceWithItsIdKindAndStatus() async throws {
        // Given the demo organisation at the scenario's start (one vendor report expired, the others current)
        let json = try await CLI.run(["check", "--manifests", "manifests/demo", "--format", "json", "--only", "vendor-soc2-reports,storage-encryption"])
        #expect(json.status == 1, "\(json.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.compactMap { $0["control"] as? String } == ["storage-encryption", "vendor-soc2-reports"])
        for row in rows {
            // Then each row carries its results, one per resource, with counts that agree with the summary columns
            let results = try #require(row["results"] as? [[String: Any]], "\(row)")
            let statuses = results.compactMap { $0["status"] as? String }
            #expect(statuses.count == results.count)
            #expect(statuses.filter { $0 == "pass" }.count == row["passed"] as? Int)
            #expect(statuses.filter { $0 == "fail" }.count == row["failed"] as? Int)
            #expect(results.allSatisfy { ($0["id"] as? String)?.isEmpty == false && ($0["kind"] as? String)?.isEmpty == false })
            #expect(Set(results.compactMap { $0["id"] as? String }).count == results.count, "resource ids are unique within a control")
        }
        let vendors = try #require(rows.last?["results"] as? [[String: Any]])
        #expect(Set(vendors.compactMap { $0["status"] as? String }) == ["pass", "fail"], "passing resources are listed too: \(vendors)")
    }

    @Test func aTamperedLedgerIsNamedAndTheBotRefusesToStart() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        #expect(try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "2d", "--database", db]).status == 0)
        #expect(try await CLI.run(["evidence", "verify", "--database", db]).status == 0)
        // Edit entry 5 behind the bot's back.
        let queue = try DatabaseQueue(path: db)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET entry = replace(entry, 'control_run', 'control_ran') WHERE seq = 5")
        }
        try queue.close()
        let verify = try await CLI.run(["evidence", "verify", "--database", db])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("entry 5"))
        let run = try await CLI.run(["run", "--manifests", "manifests/demo", "--database", db])
        #expect(run.status == 2)
        #expect(run.stderr.contains("refusing to start"))
    }

    /// The append-only triggers of `path`'s ledger, by name.
    static func ledgerTriggers(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger' ORDER BY name") }
    }

    /// Runs `sql` on the file with plain SQLite, behind the bot's back.
    static func tamper(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    @Test func aResumedDemoPutsBackDroppedTriggersAndEveryAppendingCommandRefusesABrokenChain() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        let demo = ["demo", "--speed", "max", "--plain", "--database", db]
        #expect(try await CLI.run(demo + ["--until", "1d"]).status == 0)

        // Given the append-only triggers dropped, nothing else touched
        try Self.tamper(db, "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete")
        // When the demo resumes, Then it says so, puts them back and records the fact in the ledger
        let resumed = try await CLI.run(demo + ["--resume", "--until", "2d"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("append-only triggers (ledger_no_update, ledger_no_delete) were dropped or altered"), "\(resumed.stderr)")
        #expect(try Self.ledgerTriggers(db) == ["ledger_no_delete", "ledger_no_update"])
        let restored = try BotDatabase.open(path: db).read { try $0.evidence(subject: "ledger") }
        #expect(restored.count == 1 && String(decoding: restored[0], as: UTF8.self).contains(#""kind":"ledger_triggers_restored""#))
        #expect(try await CLI.run(["evidence", "verify", "--database", db]).status == 0)

        // Given one row's time moved years ahead (its column only; entry and hashes untouched)
        try Self.tamper(db, "DROP TRIGGER ledger_no_update; UPDATE ledger SET at = '2030-01-01T00:00:00.000Z' WHERE seq = 5")
        let head = try BotDatabase.open(path: db).read { try $0.ledgerHead() }
        // Then verify names the row and its column, and every command that would append or export refuses with exit 2
        let verify = try await CLI.run(["evidence", "verify", "--database", db])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("ledger broken at entry 5: its `at` column"), "\(verify.stdout)")
        let refusedDemo = try await CLI.run(demo + ["--resume", "--until", "3d"])
        #expect(refusedDemo.status == 2, "\(refusedDemo.stdout)")
        #expect(refusedDemo.stderr.contains("ledger broken at entry 5") && refusedDemo.stderr.contains("refusing to start"), "\(refusedDemo.stderr)")
        let run = try await CLI.run(["run", "--manifests", "manifests/demo", "--database", db])
        #expect(run.status == 2)
        #expect(run.stderr.contains("ledger broken at entry 5"), "\(run.stderr)")
        let out = dir.appendingPathComponent("export").path
        let export = try await CLI.run(["evidence", "export", "--manifests", "manifests/demo", "--database", db,
                                        "--from", "2026-03-01", "--to", "2026-04-01", "--out", out])
        #expect(export.status == 2)
        #expect(export.stderr.contains("ledger broken at entry 5") && export.stderr.contains("refusing to export"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // Nothing was appended, and the dropped trigger was not put back over the evidence of tampering.
        #expect(try BotDatabase.open(path: db).read { try $0.ledgerHead() } == head)
        #expect(try Self.ledgerTriggers(db) == ["ledger_no_delete"])
    }

    @Test func aResumedDemoNeverDatesEntriesBeforeOnesAlreadyWritten() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        let demo = ["demo", "--speed", "max", "--plain", "--database", db]
        #expect(try await CLI.run(demo + ["--until", "1d"]).status == 0)

        // Given the state a kill between a step's deliveries and its clock save leaves: the saved clock 3 h behind
        // the ledger's last entry
        let headAt = try #require(try BotDatabase.open(path: db).read { try $0.ledgerHeadTime() })
        try Self.tamper(db, "UPDATE cursor SET value = '\(TimeText.iso(headAt.addingTimeInterval(-3 * 3_600)))' WHERE name = 'demo.now'")

        // When the demo resumes
        let resumed = try await CLI.run(demo + ["--resume", "--until", "2d"])
        #expect(resumed.status == 0, "\(resumed.stderr)")

        // Then it resumes from the ledger's last time, and no entry is dated before one written earlier
        #expect(resumed.stdout.contains("simulated time from \(TimeText.human(headAt))"), "\(resumed.stdout.prefix(300))")
        let times = try BotDatabase.open(path: db).read { tx in
            var times: [String] = []
            try tx.ledgerRows { times.append($0.at) }
            return times
        }
        #expect(times.count > 100)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func aDatabaseFromANewerVersionIsRefused() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        _ = try BotDatabase.open(path: db)
        let queue = try DatabaseQueue(path: db)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        try queue.close()
        let status = try await CLI.run(["status", "--manifests", "manifests/demo", "--database", db])
        #expect(status.status == 2)
        #expect(status.stderr.contains("v99-from-the-future"))
    }

    @Test func exportsVerifyOfflineAndUnknownCommandsGetHelp() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        #expect(try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "3d", "--database", db]).status == 0)
        let out = dir.appendingPathComponent("export").path
        let export = try await CLI.run(["evidence", "export", "--manifests", "manifests/demo", "--database", db,
                                  "--from", "2026-03-03", "--to", "2026-03-04", "--out", out])
        #expect(export.status == 0, "\(export.stderr)")
        let offline = try await CLI.run(["evidence", "verify", "--export", out])
        #expect(offline.status == 0, "\(offline.stdout)\(offline.stderr)")
        // The pre-audit exceptions report: the admin-MFA alert (critical, 4 h SLA) was closed an hour late by lena.
        let exceptions = try await CLI.run(["evidence", "exceptions", "--manifests", "manifests/demo", "--database", db,
                                            "--from", "2026-03-01", "--to", "2026-03-06"])
        #expect(exceptions.status == 0, "\(exceptions.stderr)")
        #expect(exceptions.stdout.contains("instance of “Administrators sign in with MFA” (admin-mfa, CC6.1) persisting beyond the policy SLA of 4h"))
        #expect(exceptions.stdout.contains("closed 2026-03-02 16:00 UTC by lena: re-enabled MFA"))
        let packaged = try String(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("exceptions.md"), encoding: .utf8)
        #expect(packaged.hasPrefix("# Exceptions — Northwind Analytics"))
        #expect(try await CLI.run(["evidence", "exceptions", "--database", db, "--from", "2026-03-06", "--to", "2026-03-01"]).status != 0)
        let alerts = try await CLI.run(["alerts", "--state", "all", "--json", "--database", db])
        #expect(alerts.status == 0)
        #expect(try await CLI.run(["alerts", "--state", "bogus", "--database", db]).status != 0)

        // The digest as it would be posted, printed.
        let digest = try await CLI.run(["digest", "--preview", "--manifests", "manifests/demo", "--database", db, "--at", "2026-03-05"])
        #expect(digest.status == 0, "\(digest.stderr)")
        #expect(digest.stdout.contains("Weekly SOC 2 digest") && digest.stdout.contains("MTTD"))
        #expect(try await CLI.run(["digest", "--manifests", "manifests/demo", "--database", db]).status != 0)

        // Metrics per team and category over the demo's days; an empty period says "no data"; bad dates are refused.
        let metrics = try await CLI.run(["metrics", "--manifests", "manifests/demo", "--database", db, "--from", "2026-03-02", "--to", "2026-03-05"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        #expect(metrics.stdout.contains("security\n") && metrics.stdout.contains("MTTD"))
        let categories = try await CLI.run(["metrics", "--manifests", "manifests/demo", "--database", db, "--from", "2026-03-02", "--to", "2026-03-05",
                                            "--by", "category", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(categories.stdout.utf8)) as? [[String: Any]])
        #expect(rows.contains { $0["group"] as? String == "infrastructure" && $0["mttd_target_seconds"] as? Double == 3_600 })
        let empty = try await CLI.run(["metrics", "--manifests", "manifests/demo", "--database", db, "--from", "2020-01-01", "--to", "2020-01-08"])
        #expect(empty.stdout.contains("MTTD no data (no data)"))
        #expect(try await CLI.run(["metrics", "--manifests", "manifests/demo", "--database", db, "--from", "March"]).status != 0)
        #expect(try await CLI.run(["metrics", "--manifests", "manifests/demo", "--database", db, "--by", "moon"]).status != 0)
    }

    /// `--framework`: the same demo history named by ISO/IEC 27001 criteria, and as OSCAL assessment results.
    @Test func reportsTakeAFramework() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        #expect(try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "3d", "--database", db]).status == 0)
        let common = ["--manifests", "manifests/demo", "--database", db]
        let exceptions = try await CLI.run(["evidence", "exceptions"] + common + ["--from", "2026-03-01", "--to", "2026-03-06", "--framework", "iso27001"])
        #expect(exceptions.status == 0, "\(exceptions.stderr)")
        #expect(exceptions.stdout.contains("instance of “Administrators sign in with MFA” (admin-mfa, A.8.5) persisting beyond the policy SLA of 4h"))
        let metrics = try await CLI.run(["metrics"] + common + ["--from", "2026-03-02", "--to", "2026-03-05", "--by", "criterion", "--framework", "iso27001", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(metrics.stdout.utf8)) as? [[String: Any]])
        #expect(rows.contains { $0["group"] as? String == "A.8.5" && $0["title"] as? String == "Secure authentication" && $0["framework"] as? String == "iso27001" })
        #expect(!rows.contains { ($0["group"] as? String)?.hasPrefix("CC") == true })
        let status = try await CLI.run(["status"] + common + ["--at", "2026-03-03", "--framework", "iso27001"])
        #expect(status.stdout.contains("Open by ISO 27001 criterion: "), "\(status.stdout)")
        let oscal = dir.appendingPathComponent("results.json")
        let written = try await CLI.run(["evidence", "oscal"] + common + ["--from", "2026-03-01", "--to", "2026-03-06", "--framework", "iso27001", "--out", oscal.path])
        #expect(written.status == 0, "\(written.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: oscal)) as? [String: Any])
        #expect((document["assessment-results"] as? [String: Any])?["results"] != nil)
        let refused = try await CLI.run(["metrics"] + common + ["--framework", "nist"])
        #expect(refused.status != 0 && refused.stderr.contains("--framework must be soc2, iso27001, hipaa, pci, cis, not `nist`"), "\(refused.stderr)")
    }
}
