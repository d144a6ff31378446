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
        // The demo routes to Slack and Matrix, which are not configured here: nothing to warn about.
        #expect(!bot.text.contains("surface in this build"), "\(bot.text)")
        let status = try await bot.stop(signal)
        #expect(bot.process.terminationReason == .exit && status == 0, "\(bot.text)")
        // The last lines may still be in the pipe when the process has exited.
        #expect(await eventually { bot.text.contains("soc2bot stopped") }, "\(bot.text)")
        let verdict = try BotDatabase.open(path: db).read { try $0.verifyLedger() }
        #expect(verdict.isIntact)
    }
}
