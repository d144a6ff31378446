import Foundation
import Testing

/// Time in the tests: they advance a `TestClock` and wait on events; only what talks to a real peer reads real time.
extension ArchitectureTests {
    static let tests = ShippedManifestsTests.repositoryRoot.appendingPathComponent("Tests")

    /// The test files that may read the wall clock or sleep, each with its reason (paths relative to Tests; a
    /// trailing `/` is a folder).
    static let testWallClockAllowed: [(path: String, reason: String)] = [
        ("SocketsTests/", "libwebsockets' server and client over real loopback: their waits are socket deadlines"),
        ("TestSupport/PeerTime.swift", "the real peers' time (moto, a soc2bot process, the file system) and `eventually`, the bounded wait on them"),
    ] + scanners.map { ($0, "names what it looks for") }
    /// The scans themselves, which name what they look for.
    static let scanners = ["ManifestsTests/ArchitectureTests.swift", "ManifestsTests/ArchitectureTests+TestTime.swift"]
    /// Sources' list, plus the system clock itself and the other clock that follows real time.
    static let testWallClockReads = wallClockReads + ["SystemClock()", "SuspendingClock"]

    /// The test files that may poll with `eventually` (a real-time wait): they drive a real socket on loopback or a
    /// real `soc2bot` process, where no in-process event exists to wait on. Everything else waits on the event itself.
    static let realTimePollers = ["SocketsTests/", "TestSupport/PeerTime.swift", "CLITests/", "EngineTests/SlackTransportsTests.swift"] + scanners

    /// Every Swift file under Tests, as paths relative to it.
    static func testFiles() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: tests.path))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    /// The lines of `path` (relative to Tests), comments aside, where one of `words` starts a token (`Date()` but not
    /// `asADate()`), as "file:line: text".
    static func testUses(of words: [String], in path: String) throws -> [String] {
        let text = try String(contentsOf: tests.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let found = words.contains { word in
                code.ranges(of: word).contains { range in
                    guard range.lowerBound > code.startIndex else { return true }
                    let before = code[code.index(before: range.lowerBound)]
                    return !(before.isLetter || before.isNumber || before == "_")
                }
            }
            return found ? "Tests/\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))" : nil
        }
    }

    /// `swift test` sleeps on no wall clock outside the tests that talk over real loopback: tests advance a `TestClock`
    /// and wait on events (`TestClock.sleepers`, `SlackTestBed.settled()`, a `Doorbell`, an `AsyncStream`); the real
    /// peers' time is read only through `PeerTime`.
    @Test func testsReadNoWallClockAndNeverSleep() throws {
        let files = try Self.testFiles()
        let offending = try files.filter { file in !Self.testWallClockAllowed.contains { file.hasPrefix($0.path) } }
            .flatMap { try Self.testUses(of: Self.testWallClockReads, in: $0) }
        #expect(offending.isEmpty, "advance a TestClock, wait on an event, or read a real peer's time through PeerTime:\n\(offending.joined(separator: "\n"))")
        // The scan sees what it looks for, and only as a token.
        #expect(try Self.testUses(of: Self.testWallClockReads, in: "TestSupport/PeerTime.swift").contains { $0.contains("Task.sleep(") })
        #expect(try Self.testUses(of: Self.testWallClockReads, in: "TestSupport/PeerTime.swift").contains { $0.contains("{ Date() }") })
        #expect(try Self.testUses(of: ["Date()"], in: "HTTPTests/RetryingTransportTests.swift").isEmpty, "`…AsADate()` is a name, not a read")
    }

    /// `eventually` polls on real time: only tests that drive a real socket or process may use it.
    @Test func onlyTestsOfRealSocketsAndProcessesPollOnRealTime() throws {
        let files = try Self.testFiles()
        let offending = try files.filter { file in !Self.realTimePollers.contains { file.hasPrefix($0) } }
            .flatMap { try Self.testUses(of: ["eventually {", "eventually(", "eventually ("], in: $0) }
        #expect(offending.isEmpty, "wait on the event instead (TestClock.sleepers, SlackTestBed.settled(), an AsyncStream):\n\(offending.joined(separator: "\n"))")
        #expect(try Self.testUses(of: ["eventually {", "eventually("], in: "CLITests/GracefulShutdownTests.swift").count >= 2)
    }
}
