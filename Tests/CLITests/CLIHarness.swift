import Foundation
import Synchronization
import TestSupport
import Testing

/// Runs the built `soc2bot` binary (built by `swift build`, which scripts/test runs before `swift test`).
enum CLI {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        get throws {
            // Another build of soc2bot (say, the one before a fix, to see a new test fail on it).
            if let path = ProcessInfo.processInfo.environment["SOC2BOT_TEST_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
            let candidates = [".build/debug/soc2bot", ".build/x86_64-unknown-linux-gnu/debug/soc2bot", ".build/aarch64-unknown-linux-gnu/debug/soc2bot"]
            for path in candidates where FileManager.default.isExecutableFile(atPath: repo.appendingPathComponent(path).path) {
                return repo.appendingPathComponent(path)
            }
            throw HarnessError("the soc2bot binary is not built; run `swift build` first (scripts/test does)")
        }
    }

    struct Result {
        var status: Int32; var stdout: String; var stderr: String; var killed: Bool
        /// The process ended on a signal (a trap, or the watchdog's SIGKILL), not by exiting.
        var signalled = false
        /// The watchdog stopped it: it ran past `watchdog` seconds.
        var hung = false
    }

    /// Runs soc2bot with `arguments` from the repository root, stdin closed. With `killAfterBytes`, sends
    /// SIGKILL once that many bytes of stdout have arrived (a point in the run chosen by the caller). With `watchdog`,
    /// a process still running after that many seconds is killed and reported `hung`, so a hang fails a test instead
    /// of stalling the suite (a bound, not a measurement: choose it far above the expected time).
    static func run(_ arguments: [String], killAfterBytes: Int? = nil, watchdog: TimeInterval? = nil) async throws -> Result {
        try await offThePool { try runBlocking(arguments, killAfterBytes: killAfterBytes, watchdog: watchdog) }
    }

    private static func runBlocking(_ arguments: [String], killAfterBytes: Int?, watchdog: TimeInterval?) throws -> Result {
        let process = Process()
        process.executableURL = try binary
        process.arguments = arguments
        process.currentDirectoryURL = repo
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        var environment = CLI.environment
        environment["SOC2BOT_LOG_LEVEL"] = "error"
        process.environment = environment
        try process.run()
        let hung = Flag()
        if let watchdog {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + watchdog) { [process] in
                if process.isRunning { hung.set(); kill(pid, SIGKILL) }
            }
        }
        var stdout = Data()
        var killed = false
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            stdout.append(chunk)
            if let limit = killAfterBytes, !killed, stdout.count >= limit {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), killed: killed && process.terminationReason == .uncaughtSignal,
                      signalled: process.terminationReason == .uncaughtSignal, hung: hung.isSet)
    }

    /// The test process's environment without AWS or Slack credentials or endpoints: the starter manifests name a
    /// live AWS source and Slack, and a test must never reach them (nor any address but loopback).
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && !$0.key.hasPrefix("SLACK_") }
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Set once, from the watchdog's thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension CLI {
    /// A running `soc2bot run` (stdin closed, stdout discarded) whose stderr is collected.
    final class RunningBot: Sendable {
        let process = Process()
        let log = LogBuffer()

        init(manifests: String, database: String, environment extra: [String: String] = [:], logLevel: String = "info") throws {
            process.executableURL = try CLI.binary
            process.arguments = ["run", "--manifests", manifests, "--database", database]
            process.currentDirectoryURL = CLI.repo
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            process.standardError = err
            var environment = CLI.environment
            environment["SOC2BOT_LOG_LEVEL"] = logLevel
            environment.merge(extra) { _, new in new }
            process.environment = environment
            try process.run()
            let reader = err.fileHandleForReading
            let log = log
            Thread.detachNewThread {
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    log.append(String(decoding: chunk, as: UTF8.self))
                }
            }
        }

        var text: String { log.text }

        /// Signals the bot (SIGTERM by default) and waits for it to exit; its exit status.
        func stop(_ signal: Int32 = SIGTERM) async throws -> Int32 {
            kill(process.processIdentifier, signal)
            let process = process
            return try await offThePool { process.waitUntilExit(); return process.terminationStatus }
        }
    }

    final class LogBuffer: Sendable {
        private let buffer = Mutex("")
        func append(_ text: String) { buffer.withLock { $0 += text } }
        var text: String { buffer.withLock { $0 } }
    }


    /// The Northwind demo manifests plus `extra` appended to organisation.yaml.
    static func demoManifests(in dir: URL, extra: String) throws -> URL {
        let target = dir.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let source = CLI.repo.appendingPathComponent("manifests/demo")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: source.appendingPathComponent("scenarios"), to: target.appendingPathComponent("scenarios"))
        let organisation = target.appendingPathComponent("organisation.yaml")
        try (String(contentsOf: organisation, encoding: .utf8) + "\n" + extra).write(to: organisation, atomically: true, encoding: .utf8)
        return target
    }

}
