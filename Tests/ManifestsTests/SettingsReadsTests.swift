import Foundation
import Testing

/// Sources and checks read their settings and parameters only through their descriptors (`DescribedSettings`), so a
/// default is written once and no key is read that `validate` would refuse. Like the docs tests, this reads the code.
@Suite("Settings reads")
struct SettingsReadsTests {
    /// Where a block of settings or parameters may be looked into by key: the manifests decoder that builds them and
    /// the accessor over them.
    static let allowed: Set<String> = ["Sources/Core/DescribedSettings.swift"]
    static let allowedFolders = ["Sources/Manifests/"]

    /// `settings["x"]`, `settings?["x"]`, `parameters["x"]`, `p.values["x"]`: a lookup by key that bypasses the specs.
    static let pattern = #"(^|[^A-Za-z0-9_])(settings|parameters|values)\??\[\s*["a-z]"#

    @Test func noSettingIsLookedUpByKeyOutsideTheAccessor() throws {
        let root = ShippedManifestsTests.repositoryRoot
        let sources = root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        var found: [String] = []
        for file in files {
            let path = "Sources/" + file
            guard !Self.allowed.contains(path), !Self.allowedFolders.contains(where: path.hasPrefix) else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let lookup = try Regex(Self.pattern)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(lookup) && (line.contains("settings") || line.contains("parameters") || Self.readsACheckBlock(path)) {
                found.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(found.isEmpty, "read these through the descriptor's DescribedSettings instead:\n\(found.joined(separator: "\n"))")
    }

    /// The check descriptors got their parameters as `p.values`; elsewhere `values[` is any dictionary.
    static func readsACheckBlock(_ path: String) -> Bool { path.hasPrefix("Sources/Checks/") }
}
