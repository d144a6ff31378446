import Foundation
import Testing

/// Rules of the code's shape that the compiler does not check, read from the Sources tree as DocsTests reads the docs.
@Suite struct ArchitectureTests {
    static let sources = ShippedManifestsTests.repositoryRoot.appendingPathComponent("Sources")

    /// The files that may read the wall clock or sleep: the clock implementations, the wire modules below Core (the
    /// libwebsockets and libpq wrappers: their waits are socket and pool deadlines, not the bot's time), and the
    /// benchmarks, which measure real time.
    static let wallClockAllowed = ["Core/BotClock.swift", "Sockets/", "Postgres/", "Benchmarks/"]
    static let wallClockReads = ["Date()", "Task.sleep(", "Date.now", "ContinuousClock.now", "Thread.sleep(", "usleep("]

    /// Every Swift file under Sources, as paths relative to it.
    static func swiftFiles() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources.path))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    /// The lines of `path` (relative to Sources) that read the wall clock or sleep, comments aside, as "file:line: text".
    static func wallClockUses(in path: String) throws -> [String] {
        let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard wallClockReads.contains(where: code.contains) else { return nil }
            return "\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))"
        }
    }

    /// Time is read and waited for only through the clock the composition root injects (`BotClock`): a `Date()` or a
    /// `Task.sleep` anywhere else is time the demo, the tests and a replay cannot control.
    @Test func onlyTheClockReadsTheWallClockOrSleeps() throws {
        let files = try Self.swiftFiles()
        let offending = try files.filter { file in !Self.wallClockAllowed.contains { file.hasPrefix($0) } }.flatMap(Self.wallClockUses)
        #expect(offending.isEmpty, "read the time through the injected BotClock instead:\n\(offending.joined(separator: "\n"))")
        // The scan sees what it looks for: the system clock's own reads.
        #expect(try Self.wallClockUses(in: "Core/BotClock.swift").contains { $0.contains("Date()") && $0.contains("Task.sleep(") == false })
        #expect(try Self.wallClockUses(in: "Core/BotClock.swift").contains { $0.contains("Task.sleep(") })
    }

    /// The lines of `path` (relative to Sources), comments aside, that contain any of `words`, as "file:line: text".
    static func uses(of words: [String], in path: String, ignoringCase: Bool = false) throws -> [String] {
        let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let written = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let code = ignoringCase ? written.lowercased() : written
            guard words.contains(where: code.contains) else { return nil }
            return "\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))"
        }
    }

    /// Engine reaches Matrix only through the chat adapter (`ChatAdapters`, `ChatConnection.listeners`) and serves it
    /// only through `ChatBot` (`EngineChatBot`, which also maps its thread questions to the store's records): the
    /// Matrix client, surface, session and inbound handler live in `Chat/Matrix/`.
    @Test func engineSeesMatrixOnlyThroughTheAdapter() throws {
        let matrixTypes = ["MatrixClient", "MatrixSurface", "MatrixSession", "MatrixInbound", "MatrixSyncResponse", "MatrixRoomEvent"]
        let engine = try Self.swiftFiles().filter { $0.hasPrefix("Engine/") && $0 != "Engine/EngineChatBot.swift" }
        #expect(!engine.isEmpty)
        let offending = try engine.flatMap { try Self.uses(of: matrixTypes, in: $0) }
        #expect(offending.isEmpty, "go through ChatAdapter / ChatBot instead:\n\(offending.joined(separator: "\n"))")
    }

    /// Engine reaches Slack only through the chat adapter, as it reaches Matrix: Slack's commands, clicks and forms
    /// (`SlackInteractions`), its HTTP mode (`SlackHTTPEndpoint`, mounted as the connection's routes) and Socket Mode
    /// (the connection's listener) live in `Chat/Slack/` and reach the bot through `ChatBot`; Engine names no Slack type.
    @Test func engineSeesSlackOnlyThroughTheAdapter() throws {
        let engine = try Self.swiftFiles().filter { $0.hasPrefix("Engine/") }
        #expect(!engine.isEmpty)
        // Any type, function or value named Slack… or …SocketMode… (`SlackInteractions`, `SlackWebAPI`,
        // `SocketModeService`); lower-case `.slack` (the platform), `slackIntegration` and text in quotes do not count.
        let offending = try engine.flatMap { try Self.uses(of: ["Slack", "SocketMode"], in: $0) }.filter { line in
            let code = (line.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "").components(separatedBy: "//")[0]
            let unquoted = code.replacingOccurrences(of: #""[^"]*""#, with: "", options: .regularExpression)
            return unquoted.contains("Slack") || unquoted.contains("SocketMode")
        }
        #expect(offending.isEmpty, "go through ChatAdapter / ChatBot instead:\n\(offending.joined(separator: "\n"))")
        // The scan sees what it looks for.
        #expect(try Self.uses(of: ["Slack"], in: "Chat/Slack/SlackAdapter.swift").contains { $0.contains("SlackConnection") })
    }

    /// Core and Manifests name no chat platform: the platforms are the adapters in `Chat` (their ids, their
    /// `chat.<id>` keys, what they do differently), which Manifests checks through the catalog. Comments may give
    /// examples; code may not.
    @Test func coreAndManifestsNameNoChatPlatform() throws {
        let files = try Self.swiftFiles().filter { $0.hasPrefix("Core/") || $0.hasPrefix("Manifests/") }
        #expect(files.contains("Core/Routing.swift") && files.contains("Manifests/ManifestFileDecoder.swift"))
        let offending = try files.flatMap { path in
            try Self.uses(of: ["slack", "matrix", "terminal"], in: path, ignoringCase: true)
        }
        #expect(offending.isEmpty, "declare it in the platform's adapter (Sources/Chat/<Platform>/) instead:\n\(offending.joined(separator: "\n"))")
    }

    /// One composition root: the engine, scheduler, dispatchers, control runner, source-health record and live
    /// source clients are built only in Engine (`Bot.make`, `Bot.sources`, `Bot.checkRunner`, `BotRuntime.make`);
    /// `run`, `check`, `demo` and the demo package go through it rather than wiring their own.
    @Test func onlyTheCompositionRootWiresTheBot() throws {
        let wiring = ["AlertEngine(", "ControlScheduler(", "Dispatcher(", "ControlRunner(", "SourceHealthMonitor(", "SourceRegistry.client(",
                      "MonitoredSource(", "IntegrationHealthSource("]
        let callers = try Self.swiftFiles().filter { $0.hasPrefix("soc2bot/") || $0.hasPrefix("Demo/") }
        #expect(callers.contains("soc2bot/Check.swift") && callers.contains("soc2bot/Run.swift"))
        let offending = try callers.flatMap { try Self.uses(of: wiring, in: $0) }
        #expect(offending.isEmpty, "build it through Bot.make / Bot.sources / Bot.checkRunner / BotRuntime.make:\n\(offending.joined(separator: "\n"))")
    }
}
