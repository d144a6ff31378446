import Foundation
import Testing

/// The reproducers of /work/shared/repro through the real binary: bad manifests and scenarios exit 1 with their
/// position, bad option values exit 64 naming the allowed range, and none of them ends in a signal.
@Suite("Bad input on the command line", .serialized)
struct BadInputTests {
    /// A copy of manifests/demo (with its scenario) in a fresh directory, `edit` applied to file `name`.
    static func demoCopy(in dir: URL, editing name: String? = nil, _ edit: (String) -> String = { $0 }) throws -> URL {
        let manifests = try CLI.demoManifests(in: dir, extra: "")
        if let name {
            let url = manifests.appendingPathComponent(name)
            try edit(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
        }
        return manifests
    }

    static func expectNoSignal(_ result: CLI.Result, _ arguments: [String]) {
        #expect(!result.killed && result.status < 128, "\(arguments): status \(result.status), \(result.stderr.suffix(400))")
    }

    @Test func anAliasBombIsRefusedAtItsLine() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bomb = "sources:\n  - id: bombsrc\n    kind: demo\n    settings:\n      k0: &b0 [\"lol\", \"lol\"]\n"
        for n in 1..<30 { bomb += "      k\(n): &b\(n) [*b\(n - 1), *b\(n - 1)]\n" }
        let manifests = try Self.demoCopy(in: dir, editing: "teams.yaml") { $0 + bomb }
        let result = try await CLI.run(["validate", "--manifests", manifests.path])
        Self.expectNoSignal(result, ["validate"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("teams.yaml:") && result.stderr.contains("too many alias expansions"), "\(result.stderr)")
    }

    @Test(arguments: ["+" + String(repeating: "9", count: 400) + "s", "+200000000000d"])
    func aScenarioDateOutOfRangeIsNamedAtItsLine(_ offset: String) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = try Self.demoCopy(in: dir, editing: "scenarios/northwind.yaml") {
            $0.replacingOccurrences(of: "{email: maya@northwind.example, completed: -120d}", with: "{email: maya@northwind.example, completed: \(offset)}")
        }
        let arguments = ["demo", "--manifests", manifests.path, "--database", dir.appendingPathComponent("d.sqlite").path, "--until", "1h", "--speed", "max"]
        let result = try await CLI.run(arguments)
        Self.expectNoSignal(result, arguments)
        #expect(result.status == 1)
        #expect(result.stderr.contains("northwind.yaml: 44:") && result.stderr.contains("date out of range"), "\(result.stderr)")
    }

    @Test(arguments: ["1e308", "inf", "1e-20", "4.9e-324", "nan", "0", "fast"])
    func aSpeedOutOfRangeIsAUsageError(_ speed: String) async throws {
        let result = try await CLI.run(["demo", "--until", "1h", "--speed", speed, "--database", "/nonexistent/never-created.sqlite"])
        Self.expectNoSignal(result, ["--speed", speed])
        #expect(result.status == 64)
        #expect(result.stderr.contains("0.01 to 1000000000"), "\(result.stderr)")
    }

    @Test(arguments: ["1000000d", "86399 33h", "367d", "9223372036854775808w", "0d", "soon"])
    func anUntilOutOfRangeIsAUsageError(_ until: String) async throws {
        let result = try await CLI.run(["demo", "--until", until, "--speed", "max", "--database", "/nonexistent/never-created.sqlite"])
        Self.expectNoSignal(result, ["--until", until])
        #expect(result.status == 64)
        #expect(result.stderr.contains("1s to 366d"), "\(result.stderr)")
    }

    @Test func validateRefusesADurationThatWouldCrashALaterCommand() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = try Self.demoCopy(in: dir, editing: "organisation.yaml") {
            $0.replacingOccurrences(of: "sla: {critical: 4h, high: 24h,", with: "sla: {critical: 4h, high: 9223372036854775808w,")
        }
        let validate = try await CLI.run(["validate", "--manifests", manifests.path])
        Self.expectNoSignal(validate, ["validate"])
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("organisation.yaml:") && validate.stderr.contains("out of range"), "\(validate.stderr)")
        let demo = try await CLI.run(["demo", "--manifests", manifests.path, "--database", dir.appendingPathComponent("d.sqlite").path, "--until", "2h", "--speed", "max"])
        Self.expectNoSignal(demo, ["demo"])
        #expect(demo.status == 1)
    }

    @Test func aDemoWithoutAScenarioSaysWhichFileIsMissing() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifests = try Self.demoCopy(in: dir)
        try FileManager.default.removeItem(at: manifests.appendingPathComponent("scenarios"))
        let result = try await CLI.run(["demo", "--manifests", manifests.path, "--database", dir.appendingPathComponent("d.sqlite").path, "--until", "1h", "--speed", "max"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("scenarios/northwind.yaml does not exist") && result.stderr.contains("--scenario"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func checkNamesTheScenarioProblemByFileLineAndColumn() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A copied scenario whose unquoted `start:` is not a date the loader reads.
        let manifests = try Self.demoCopy(in: dir, editing: "scenarios/northwind.yaml") {
            $0.replacingOccurrences(of: "start: 2026-03-02T08:00:00Z", with: "start: 2026-03-02 08:00")
        }
        let result = try await CLI.run(["check", "--manifests", manifests.path, "--json", "--only", "audit-trail"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("northwind.yaml: 5:8: `start` must be a date"), "\(result.stdout)")
    }
}
