import Foundation
import Testing
@testable import Manifests

/// The documents the project ships (README.md and docs/): every relative link leads somewhere, the architecture's
/// module map is the package's, and what the README says of the demo is what the demo is.
@Suite struct DocsTests {
    static let root = ShippedManifestsTests.repositoryRoot

    /// README.md and every docs/*.md, as paths relative to the repository root.
    static func documents() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return ["README.md"] + docs
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The lines of `text` outside fenced code blocks, with inline code spans removed.
    static func prose(_ text: String) -> [(number: Int, line: String)] {
        var inFence = false
        var lines: [(Int, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence else { continue }
            let withoutCode = line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: "``")
            lines.append((index + 1, withoutCode))
        }
        return lines
    }

    /// The anchors GitHub gives the headings of `text`: lower-cased, punctuation dropped, spaces as hyphens, and a
    /// repeated heading numbered (`-1`, `-2`, …).
    static func anchors(_ text: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var anchors = Set<String>()
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            var slug = ""
            for scalar in title.lowercased().unicodeScalars {
                let properties = scalar.properties
                if properties.isAlphabetic || properties.numericType != nil || scalar == "-" || scalar == "_" {
                    slug.unicodeScalars.append(scalar)
                } else if scalar == " " {
                    slug.append("-")
                }
            }
            let count = seen[slug, default: 0]
            seen[slug] = count + 1
            anchors.insert(count == 0 ? slug : "\(slug)-\(count)")
        }
        return anchors
    }

    /// `path` with its `.` and `..` components resolved (`docs/../manifests/README.md` → `manifests/README.md`).
    static func normalised(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") where component != "." {
            if component == "..", let last = components.last, last != ".." { components.removeLast() } else { components.append(component) }
        }
        return components.joined(separator: "/")
    }

    /// Every `[text](target)` in the prose of `text` whose target is not a URL.
    static func relativeLinks(_ text: String) -> [(line: Int, target: String)] {
        let pattern = /\[[^\]]*\]\(([^)\s]+)\)/
        return prose(text).flatMap { number, line in
            line.matches(of: pattern).map { (number, String($0.output.1)) }
        }.filter { !$0.target.contains("://") && !$0.target.hasPrefix("mailto:") }
    }

    @Test func everyRelativeLinkLeadsToAFileAndHeadingThatExist() throws {
        let documents = try Self.documents()
        #expect(documents.count > 10, "docs/ holds the documentation: \(documents)")
        var checked = 0
        for document in documents {
            let directory = URL(fileURLWithPath: document).deletingLastPathComponent().relativePath
            for link in Self.relativeLinks(try Self.read(document)) {
                let parts = link.target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let path = parts[0].isEmpty ? document : Self.normalised((directory == "." ? "" : directory + "/") + parts[0])
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path, isDirectory: &isDirectory)
                #expect(exists, "\(document):\(link.line): \(link.target) — no file \(path)")
                checked += 1
                guard exists, !isDirectory.boolValue, parts.count == 2 else { continue }
                let anchors = Self.anchors(try Self.read(path))
                #expect(anchors.contains(parts[1]), "\(document):\(link.line): \(link.target) — \(path) has no heading #\(parts[1])")
            }
        }
        #expect(checked > 50, "only \(checked) links found: the link pattern no longer matches")
    }

    @Test func anchorsAreThoseGitHubMakes() {
        let text = "# Metrics\n## SLA rules\n## Chat (`chat:`)\n```\n# not a heading\n```\n## SLA rules\n## The flow of one failure — today"
        #expect(Self.anchors(text) == ["metrics", "sla-rules", "chat-chat", "sla-rules-1", "the-flow-of-one-failure--today"])
    }

    @Test func theModuleMapNamesExactlyThePackagesTargets() throws {
        let manifest = try Self.read("Package.swift")
        let targets = manifest.matches(of: /\.(?:target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"/).map { String($0.output.1) }
        #expect(targets.count > 15)

        let architecture = try Self.read("docs/architecture.md")
        let start = try #require(architecture.range(of: "\n## Module map\n"))
        let section = architecture[start.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? ""
        let named = section.split(separator: "\n").compactMap { $0.firstMatch(of: /^\| `([^`]+)` \|/).map { String($0.output.1) } }

        #expect(Set(named).subtracting(targets).sorted() == [], "docs/architecture.md names targets Package.swift does not have")
        #expect(Set(targets).subtracting(named).sorted() == [], "Package.swift has targets docs/architecture.md does not name")
        #expect(named.count == Set(named).count, "a target is named twice: \(named)")
    }

    @Test func theReadmeShowsTheTwoCommandsFirstAndStaysShort() throws {
        let readme = try Self.read("README.md")
        #expect(readme.utf8.count <= 12 * 1_024, "README.md is \(readme.utf8.count) bytes: move the detail to docs/")
        let firstBlock = try #require(readme.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        let commands = firstBlock.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(commands == ["scripts/demo", "scripts/test"])
        for script in commands + [".ci/run"] {
            #expect(FileManager.default.isExecutableFile(atPath: Self.root.appendingPathComponent(script).path), "\(script) is not an executable file")
        }
        #expect(try Self.read(".ci/run").contains("scripts/test"), "CI runs what the README says")
    }

    @Test func theReadmeCountsTheDemosControlsAndTeams() throws {
        let demo = try ShippedManifestsTests.load("manifests/demo").get()
        let readme = try Self.read("README.md")
        #expect(readme.contains("(`manifests/demo/`: \(demo.controls.count) controls, \(demo.teams.count) teams)"))
        #expect(readme.contains("Northwind Analytics: \(demo.controls.count) controls, \(demo.teams.count) teams;"))
    }
}
