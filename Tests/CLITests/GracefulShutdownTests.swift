import Foundation
import Store
import Testing
import TestSupport

@Suite("soc2bot run as a service")
struct GracefulShutdownTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsTheServiceGracefully(_ signal: Int32) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        let bot = try CLI.RunningBot(manifests: "manifests/demo", database: db, logLevel: "notice")
        // Signalled once the service says it is running (inside the service group, so signals are handled).
        #expect(await eventually(timeout: 60) { bot.text.contains("soc2bot running") }, "\(bot.text)")
        // The demo routes to Slack and Matrix, which are not configured here: nothing to warn about (no warning or
        // error names either platform; the old "no matrix surface in this build" was one).
        let platformWarnings = bot.text.split(separator: "\n").filter { line in
            (line.contains(" warning ") || line.contains(" error ")) && ["slack", "matrix"].contains { line.lowercased().contains($0) }
        }
        #expect(platformWarnings.isEmpty, "\(bot.text)")
        #expect(!bot.text.contains("surface in this build"), "\(bot.text)")
        let status = try await bot.stop(signal)
        #expect(bot.process.terminationReason == .exit && status == 0, "\(bot.text)")
        // The last lines may still be in the pipe when the process has exited.
        #expect(await eventually { bot.text.contains("soc2bot stopped") }, "\(bot.text)")
        let verdict = try BotDatabase.open(path: db).read { try $0.verifyLedger() }
        #expect(verdict.isIntact)
    }

    @Test func runPutsBackDroppedAppendOnlyTriggersAndRecordsIt() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bot.sqlite").path
        // Given a database whose ledger triggers were dropped behind the bot's back
        _ = try BotDatabase.open(path: db)
        try CommandLineTests.tamper(db, "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete")

        // When the bot starts
        let bot = try CLI.RunningBot(manifests: "manifests/demo", database: db, logLevel: "notice")
        #expect(await eventually(timeout: 60) { bot.text.contains("soc2bot running") }, "\(bot.text)")
        #expect(try await bot.stop() == 0)

        // Then it said so, the triggers are back, and the ledger's first entry records it
        #expect(bot.text.contains("append-only triggers (ledger_no_update, ledger_no_delete) were dropped or altered"), "\(bot.text)")
        #expect(try CommandLineTests.ledgerTriggers(db) == ["ledger_no_delete", "ledger_no_update"])
        let database = try BotDatabase.open(path: db)
        let first = try #require(try database.read { tx in try tx.evidence(subject: "ledger") }.first)
        #expect(String(decoding: first, as: UTF8.self).contains(#""kind":"ledger_triggers_restored","seq":1,"#))
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
    }
}
