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
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments = ["run", "--manifests", "manifests/demo", "--database", db]
        process.currentDirectoryURL = CLI.repo
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        var environment = CLI.environment
        environment["SOC2BOT_LOG_LEVEL"] = "notice"
        process.environment = environment
        try process.run()
        // Wait for the service to say it is running (no wall-clock sleeps), then signal it; the blocking reads
        // run off the cooperative pool.
        let reader = err.fileHandleForReading
        let pid = process.processIdentifier
        let log = try await offThePool { () -> String in
            var log = ""
            while !log.contains("soc2bot running") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                log += String(decoding: chunk, as: UTF8.self)
            }
            kill(pid, signal)
            log += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return log
        }
        #expect(log.contains("soc2bot running"), "\(log)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
        #expect(log.contains("soc2bot stopped"))
        let verdict = try BotDatabase.open(path: db).read { try $0.verifyLedger() }
        #expect(verdict.isIntact)
    }
}
