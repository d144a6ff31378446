import Foundation
import GRDB
import Store
import Testing

/// `ledger.anchor` through the binary: `evidence export` anchors the head (a signed checkpoint), and `evidence verify`
/// checks the checkpoint directory named in the manifests (or by `--checkpoints`) against the database.
@Suite("soc2bot evidence with ledger anchors")
struct LedgerAnchorCommandTests {
    /// The checkpoint key's variable; a fixed test key (base64 of 32 bytes), set in this process for the binary to inherit.
    static let keyVariable = "SOC2BOT_TEST_ANCHOR_KEY"

    @Test func exportAnchorsTheHeadAndVerifyNamesTheCheckpointWhenTheLedgerIsCut() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        setenv(Self.keyVariable, Data(repeating: 7, count: 32).base64EncodedString(), 1)
        // Given the demo organisation's manifests with anchoring on, and a demo's ledger
        let manifests = dir.appendingPathComponent("manifests"), checkpoints = dir.appendingPathComponent("checkpoints")
        try FileManager.default.copyItem(at: CLI.repo.appendingPathComponent("manifests/demo"), to: manifests)
        try """
            server: {listen: "127.0.0.1:8080", trust_center_key: \(Self.keyVariable)}
            ledger:
              anchor: {every: 24h, checkpoints: \(checkpoints.path)}

            """.write(to: manifests.appendingPathComponent("anchor.yaml"), atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("bot.sqlite").path
        #expect(try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "3d", "--database", db]).status == 0)

        // When the day is exported, Then the head is anchored first: a checkpoint, and its copy in the export
        let out = dir.appendingPathComponent("export").path
        let export = try await CLI.run(["evidence", "export", "--manifests", manifests.path, "--database", db,
                                        "--from", "2026-03-03", "--to", "2026-03-04", "--out", out])
        #expect(export.status == 0, "\(export.stderr)")
        let head = try #require(try BotDatabase.open(path: db).read { try $0.ledgerHead() })
        let name = String(format: "checkpoint-%012lld", head.seq - 1)
        #expect(FileManager.default.fileExists(atPath: checkpoints.appendingPathComponent(name + ".json").path))
        #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).appendingPathComponent("anchors/\(name).json.sig").path))
        #expect(try await CLI.run(["evidence", "verify", "--export", out]).status == 0)
        let status = try await CLI.run(["status", "--manifests", manifests.path, "--database", db])
        #expect(status.stdout.contains("Ledger anchored at entry \(head.seq - 1)") && status.stdout.contains(name), "\(status.stdout)\(status.stderr)")
        let verify = try await CLI.run(["evidence", "verify", "--manifests", manifests.path, "--database", db])
        #expect(verify.status == 0 && verify.stdout.contains("anchors: 2 checked, all match the chain"), "\(verify.stdout)\(verify.stderr)")

        // When the anchored head and the anchor entry are deleted behind the bot's back
        let queue = try DatabaseQueue(path: db)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_delete")
            try db.execute(sql: "DELETE FROM ledger WHERE seq >= ?", arguments: [head.seq - 1])
        }
        try queue.close()

        // Then verify fails naming the checkpoint, from the manifests' directory or from --checkpoints alone
        let cut = try await CLI.run(["evidence", "verify", "--manifests", manifests.path, "--database", db])
        #expect(cut.status == 1, "\(cut.stdout)\(cut.stderr)")
        #expect(cut.stdout.contains("ledger intact"), "the chain that is left verifies on its own")
        #expect(cut.stdout.contains("anchor problem: the chain ends at entry \(head.seq - 2), but checkpoint \(name)"), "\(cut.stdout)")
        let explicit = try await CLI.run(["evidence", "verify", "--manifests", dir.appendingPathComponent("none").path, "--database", db,
                                          "--checkpoints", checkpoints.path])
        #expect(explicit.status == 1 && explicit.stdout.contains("checkpoint \(name)"), "\(explicit.stdout)\(explicit.stderr)")
    }
}
