import Foundation
import Checks
@testable import Core
@testable import Manifests

/// A throwaway manifest directory in the system temp directory, removed when the fixture is released.
///
/// Unless told otherwise it holds `base.yaml`, a small valid organisation (person `lead`, team `sec`, source
/// `demo`), so a test only writes the broken part into a file sorted after it, usually `test.yaml`.
final class ManifestFixture {
    static let base = """
        organisation: Test Co
        security_leads: [lead]
        people:
          - {id: lead, name: Lee Lead, email: lead@test.example, team: sec}
        teams:
          - {id: sec, name: Security, manager: lead, channels: {default: {terminal: "#sec"}}}
        sources:
          - {id: demo, kind: demo}

        """

    let directory: URL

    init(_ files: [String: String], base: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var all = files
        if base { all["base.yaml"] = Self.base }
        for (name, text) in all {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func load(checkTypes: [CheckType]? = nil, catalog: Catalog = .builtIn) -> Result<BotConfig, ManifestProblems> {
        var catalog = catalog
        if let checkTypes { catalog.checkTypes = checkTypes }
        return ManifestLoader.load(directory: directory, catalog: catalog)
    }

    /// The problems found, each as `file:line:column: message` with the directory prefix removed; empty when it loads.
    func problems(checkTypes: [CheckType]? = nil, catalog: Catalog = .builtIn) -> [String] {
        problemValues(checkTypes: checkTypes, catalog: catalog).map { "\(relative($0.file)):\($0.line):\($0.column): \(relative($0.message))" }
    }

    /// The problems found, as values.
    func problemValues(checkTypes: [CheckType]? = nil, catalog: Catalog = .builtIn) -> [ManifestProblem] {
        switch load(checkTypes: checkTypes, catalog: catalog) {
        case .success: []
        case .failure(let problems): problems.problems
        }
    }

    /// The fixes of the problems found, in the same order as `problems()`.
    func fixes() -> [String] { problemValues().map(\.fix) }

    /// The configuration, or nil when there were problems.
    func config() -> BotConfig? { try? load().get() }

    /// `text` with this fixture's directory prefix removed wherever it occurs (in paths and in messages).
    private func relative(_ text: String) -> String {
        text.replacingOccurrences(of: directory.path + "/", with: "")
    }

    /// The keys of `ManifestFixture.control`, one per line from line 2 (line 1 is `controls:`).
    static let controlKeys = ["id", "title", "criteria", "owner", "severity", "cadence", "check", "remediation"]

    /// A `controls:` list holding one valid automated control (owner `sec`, source `demo` implied), one key per line:
    /// line 2 `id`, 3 `title`, 4 `criteria`, 5 `owner`, 6 `severity`, 7 `cadence`, 8 `check`, 9 `remediation`;
    /// `changes` replace those values in place or, for other keys, are appended from line 10 in order.
    static func control(_ changes: KeyValuePairs<String, String> = [:]) -> String {
        var values = ["id": "c1", "title": "Audit trail on", "criteria": "[CC7.2]", "owner": "sec", "severity": "high",
                      "cadence": "1h", "check": "{type: audit_logging}", "remediation": "aws cloudtrail start-logging --name org"]
        var extra: [(String, String)] = []
        for (key, value) in changes {
            if values[key] != nil { values[key] = value } else { extra.append((key, value)) }
        }
        var lines = ["controls:"]
        for (index, key) in controlKeys.enumerated() {
            lines.append("\(index == 0 ? "  - " : "    ")\(key): \(values[key]!)")
        }
        lines += extra.map { "    \($0.0): \($0.1)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
