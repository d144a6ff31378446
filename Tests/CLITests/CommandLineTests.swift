import Core
import Foundation
import GRDB
import Store
import Testing

@Suite("Command line", .serialized)
struct CommandLineTests {
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
}
