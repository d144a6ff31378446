import Core
import Engine
import Foundation
import Sockets
import Store
import Testing
import TestSupport

/// The dashboard as a person sees it: served by the bot's inbound server on loopback and rendered by a real
/// headless Chromium (Debian's, installed by scripts/test), which takes screenshots (kept in .build/screenshots/) and
/// dumps the DOM it rendered.
@Suite("DashboardInBrowser", .serialized)
struct DashboardInBrowserTests {
    static let token = "dash-0123456789abcdef"

    struct NoChromium: Error, CustomStringConvertible {
        var description: String { "SOC2BOT_TEST_CHROMIUM is not set: run the tests with scripts/test, which installs Debian's chromium" }
    }

    /// Runs Chromium headless with `arguments` and the page; its standard output.
    static func chromium(_ arguments: [String], url: String) throws -> String {
        guard let path = ProcessInfo.processInfo.environment["SOC2BOT_TEST_CHROMIUM"] else { throw NoChromium() }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--window-size=1280,1600"] + arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data)
        guard bytes.count > 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        func int(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
    }

    @Test func theDashboardRendersInChromium() async throws {
        let engine = try EngineFixtures.engine()
        let control = EngineFixtures.config().controls[0]
        let t0 = Date(timeIntervalSince1970: 1_772_438_400)
        try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail), EngineFixtures.result("s3:backups", .fail),
                                                EngineFixtures.result("s3:logs", .pass)], at: t0)
        let clock = VirtualClock(start: t0.addingTimeInterval(3_600))
        let routes = InboundRoutes(dashboard: DashboardEndpoint(engine: engine, clock: clock, token: Self.token, auditors: []))
        let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
        try server.start()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"

        // What a person sees: the DOM Chromium rendered.
        let dom = try await offThePool { try Self.chromium(["--dump-dom"], url: "\(base)/dashboard?token=\(Self.token)") }
        #expect(dom.contains("Test Co — SOC 2 readiness"), "\(dom.prefix(500))")
        #expect(dom.contains("Open alerts (2)") && dom.contains("exports") && dom.contains("<svg"))
        #expect(dom.contains("href=\"/dashboard/alerts/A-1?token=\(Self.token)\""))
        let refused = try await offThePool { try Self.chromium(["--dump-dom"], url: "\(base)/dashboard?token=wrong-0123456789abcdef") }
        #expect(refused.contains("unknown token") && !refused.contains("Open alerts"))

        // Screenshots of the overview and of one alert, kept for people to look at.
        let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        for (name, path) in [("dashboard", "/dashboard"), ("dashboard-alert", "/dashboard/alerts/A-1")] {
            let file = screenshots.appendingPathComponent("\(name).png")
            try? FileManager.default.removeItem(at: file)
            _ = try await offThePool { try Self.chromium(["--screenshot=\(file.path)"], url: "\(base)\(path)?token=\(Self.token)") }
            let png = try Data(contentsOf: file)
            let size = try #require(Self.pngSize(png), "\(name).png is not a PNG")
            #expect(size.0 == 1280 && size.1 == 1600)
            #expect(png.count > 10_000, "\(name).png is \(png.count) bytes: a blank page?")
        }

        // The trend chart the bot draws, opened on its own: Chromium decodes it and shows it (a white chart on its
        // dark image page), where a PNG it could not decode would show only a broken-image icon.
        let chart = screenshots.appendingPathComponent("trend-chart.png")
        try? FileManager.default.removeItem(at: chart)
        _ = try await offThePool { try Self.chromium(["--screenshot=\(chart.path)"], url: "\(base)/dashboard/trend.png?token=\(Self.token)") }
        let shown = try PythonPNG.decode(try Data(contentsOf: chart))
        var white = 0
        for i in stride(from: 0, to: shown.rgb.count, by: 3) where shown.rgb[i] == 255 && shown.rgb[i + 1] == 255 && shown.rgb[i + 2] == 255 { white += 1 }
        #expect(white > 300_000, "\(white) white pixels in Chromium's view of the chart")
    }
}
