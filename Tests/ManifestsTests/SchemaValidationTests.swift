import Checks
import Foundation
import Testing
@testable import Core
@testable import Manifests

/// Every source kind's `settings:` and every check type's parameters are validated against their descriptor's schema:
/// each problem at its line and column, with what to write. The tables are the shipped catalog itself, so a new kind
/// or type is covered the day it is registered.
@Suite struct SchemaValidationTests {
    /// A value of `kind` that validates.
    static func valid(_ kind: SettingSpec.Kind) -> String {
        switch kind {
        case .string: "acme"
        case .strings: "[a, b]"
        case .bool: "true"
        case .number, .integer: "2"
        case .numbers: "[22]"
        case .duration: "2d"
        case .url: "\"https://example.com\""
        case .path: "scan.json"
        case .oneOf(let values): values[0]
        case .map: "{a: 1}"
        }
    }

    /// What a problem says a value of `kind` must be.
    static func expected(_ kind: SettingSpec.Kind) -> String {
        switch kind {
        case .string: "text"
        case .strings: "a list of texts"
        case .bool: "true or false"
        case .number: "a number"
        case .integer: "a whole number"
        case .numbers: "a list of numbers"
        case .duration: "a duration"
        case .url: "an http(s) URL"
        case .path: "a path"
        case .oneOf: kind.description
        case .map: "a mapping"
        }
    }

    /// A value of the wrong type for `kind`.
    static func wrong(_ kind: SettingSpec.Kind) -> (yaml: String, kindName: String) {
        kind == .map ? ("text", "text") : ("{a: 1}", "a mapping")
    }

    /// `name` one edit away (its last letter dropped): a typo whose closest known key is `name`.
    static func typo(_ name: String) -> String { String(name.dropLast()) }

    /// Line 1-based and column 1-based of `needle` in `text`'s line `line`.
    static func column(of needle: String, inLine line: Int, of text: String) -> Int {
        let lineText = text.components(separatedBy: "\n")[line - 1]
        let range = lineText.range(of: needle)!
        return lineText.distance(from: lineText.startIndex, to: range.lowerBound) + 1
    }

    // MARK: - Sources

    /// `sources:` with one source `s` of `kind`: line 4 is `settings: {…}` holding `first` then the kind's required
    /// settings with valid values (except `omit`).
    static func source(_ kind: SourceKind, first: String?, omit: String? = nil) -> String {
        var entries = first.map { [$0] } ?? []
        let firstKey = first?.components(separatedBy: ":").first
        for spec in kind.settings where spec.required && spec.name != omit && spec.name != firstKey {
            entries.append("\(spec.name): \(valid(spec.kind))")
        }
        return "sources:\n  - id: s\n    kind: \(kind.name)\n    settings: {\(entries.joined(separator: ", "))}\n"
    }

    @Test(arguments: Catalog.builtIn.sourceKinds.map(\.name))
    func settingTypoIsReportedWithTheClosestKey(_ name: String) throws {
        let kind = try #require(Catalog.builtIn.sourceKind(named: name))
        let real = kind.settings.first?.name
        let key = real.map(Self.typo) ?? "bogus"
        let yaml = Self.source(kind, first: "\(key): x")
        let fixture = try ManifestFixture(["test.yaml": yaml])
        #expect(fixture.problems() == ["test.yaml:4:\(Self.column(of: key + ":", inLine: 4, of: yaml)): unknown setting `\(key)` for source `s` of kind `\(name)`"])
        #expect(fixture.fixes() == [real.map { "did you mean `\($0)`?" } ?? "kind `\(name)` takes no settings; remove it"])
    }

    @Test(arguments: Catalog.builtIn.sourceKinds.filter { !$0.settings.isEmpty }.map(\.name))
    func settingOfTheWrongTypeIsReported(_ name: String) throws {
        let kind = try #require(Catalog.builtIn.sourceKind(named: name))
        for spec in kind.settings {
            let wrong = Self.wrong(spec.kind)
            let yaml = Self.source(kind, first: "\(spec.name): \(wrong.yaml)")
            let fixture = try ManifestFixture(["test.yaml": yaml])
            let column = Self.column(of: wrong.yaml, inLine: 4, of: yaml)
            #expect(fixture.problems() == [
                "test.yaml:4:\(column): setting `\(spec.name)` of source `s` must be \(Self.expected(spec.kind)), not \(wrong.kindName)",
            ], "\(name).\(spec.name)")
            #expect(fixture.fixes().first?.hasPrefix("write `\(spec.name): ") == true)
        }
    }

    @Test(arguments: Catalog.builtIn.sourceKinds.filter { $0.settings.contains { if case .oneOf = $0.kind { true } else { $0.kind == .url } } }.map(\.name))
    func urlWithoutSchemeAndValueNotAllowedAreReported(_ name: String) throws {
        let kind = try #require(Catalog.builtIn.sourceKind(named: name))
        for spec in kind.settings {
            switch spec.kind {
            case .url:
                let yaml = Self.source(kind, first: "\(spec.name): 127.0.0.1:5125")
                let fixture = try ManifestFixture(["test.yaml": yaml])
                #expect(fixture.problems() == [
                    "test.yaml:4:\(Self.column(of: "127.0.0.1", inLine: 4, of: yaml)): setting `\(spec.name)` of source `s` `127.0.0.1:5125` needs http:// or https://",
                ], "\(name).\(spec.name)")
                #expect(fixture.fixes().first?.hasPrefix("write `\(spec.name): https://127.0.0.1:5125` (or http:// for a local emulator)") == true)
                let other = try ManifestFixture(["test.yaml": Self.source(kind, first: "\(spec.name): \"ftp://example.com\"")])
                #expect(other.problems().first?.hasSuffix("`ftp://example.com` is not an http(s) URL") == true, "\(name).\(spec.name)")
            case .oneOf(let values):
                let near = String(values[0].dropLast()) + "x"
                let yaml = Self.source(kind, first: "\(spec.name): \(near)")
                let fixture = try ManifestFixture(["test.yaml": yaml])
                #expect(fixture.problems() == [
                    "test.yaml:4:\(Self.column(of: " \(near)", inLine: 4, of: yaml) + 1): setting `\(spec.name)` of source `s`: `\(near)` is not allowed",
                ])
                #expect(fixture.fixes() == ["did you mean `\(values[0])`? use one of \(NameSuggestion.list(values))"])
            default: continue
            }
        }
    }

    @Test(arguments: Catalog.builtIn.sourceKinds.filter { $0.settings.contains(where: \.required) }.map(\.name))
    func missingRequiredSettingIsReported(_ name: String) throws {
        let kind = try #require(Catalog.builtIn.sourceKind(named: name))
        for spec in kind.settings where spec.required {
            let fixture = try ManifestFixture(["test.yaml": Self.source(kind, first: nil, omit: spec.name)])
            #expect(fixture.problems() == ["test.yaml:4:15: source `s` of kind `\(name)` needs setting `\(spec.name)`"], "\(name).\(spec.name)")
            #expect(fixture.fixes() == ["add `\(spec.name):` under `settings` — \(spec.help)"])
            // Without any `settings:` at all it is reported too, at the source.
            let bare = try ManifestFixture(["test.yaml": "sources:\n  - {id: s, kind: \(name)}\n"])
            #expect(bare.problems().contains("test.yaml:2:5: source `s` of kind `\(name)` needs setting `\(spec.name)`"), "\(name).\(spec.name)")
        }
    }

    // MARK: - Check types

    /// A control whose line 8 is `check: {type: <type>, <first>, <the type's required parameters>}`.
    static func control(_ type: CheckType, first: String?, omit: String? = nil) -> String {
        var entries = ["type: \(type.name)"] + (first.map { [$0] } ?? [])
        let firstKey = first?.components(separatedBy: ":").first
        for spec in type.parameters where spec.required && spec.name != omit && spec.name != firstKey {
            entries.append("\(spec.name): \(spec.name == "releases" ? "[\"macOS 15.2 2026-10-28\"]" : valid(spec.kind))")
        }
        return ManifestFixture.control(["check": "{\(entries.joined(separator: ", "))}"])
    }

    @Test(arguments: Catalog.builtIn.checkTypes.map(\.name))
    func parameterTypoIsReportedWithTheClosestKey(_ name: String) throws {
        let type = try #require(Catalog.builtIn.checkType(named: name))
        let real = type.parameters.first?.name
        let key = real.map(Self.typo) ?? "bogus"
        let yaml = Self.control(type, first: "\(key): x")
        let fixture = try ManifestFixture(["test.yaml": yaml])
        #expect(fixture.problems() == ["test.yaml:8:\(Self.column(of: ", \(key):", inLine: 8, of: yaml) + 2): unknown parameter `\(key)` for check type `\(name)`"])
        #expect(fixture.fixes() == [real.map { "did you mean `\($0)`?" } ?? "check type `\(name)` takes no parameters; remove it"])
    }

    @Test(arguments: Catalog.builtIn.checkTypes.filter { !$0.parameters.isEmpty }.map(\.name))
    func parameterOfTheWrongTypeIsReported(_ name: String) throws {
        let type = try #require(Catalog.builtIn.checkType(named: name))
        for spec in type.parameters {
            let wrong = Self.wrong(spec.kind)
            let yaml = Self.control(type, first: "\(spec.name): \(wrong.yaml)")
            let fixture = try ManifestFixture(["test.yaml": yaml])
            #expect(fixture.problems() == [
                "test.yaml:8:\(Self.column(of: wrong.yaml, inLine: 8, of: yaml)): check parameter `\(spec.name)` must be \(Self.expected(spec.kind)), not \(wrong.kindName)",
            ], "\(name).\(spec.name)")
        }
    }

    @Test(arguments: Catalog.builtIn.checkTypes.filter { $0.parameters.contains { if case .oneOf = $0.kind { true } else { false } } }.map(\.name))
    func parameterValueNotAllowedIsReported(_ name: String) throws {
        let type = try #require(Catalog.builtIn.checkType(named: name))
        for spec in type.parameters {
            guard case .oneOf(let values) = spec.kind else { continue }
            let yaml = Self.control(type, first: "\(spec.name): hihg")
            let fixture = try ManifestFixture(["test.yaml": yaml])
            #expect(fixture.problems() == ["test.yaml:8:\(Self.column(of: "hihg", inLine: 8, of: yaml)): check parameter `\(spec.name)`: `hihg` is not allowed"])
            #expect(fixture.fixes() == ["did you mean `high`? use one of \(NameSuggestion.list(values))"])
        }
    }

    @Test(arguments: Catalog.builtIn.checkTypes.filter { $0.parameters.contains(where: \.required) }.map(\.name))
    func missingRequiredParameterIsReported(_ name: String) throws {
        let type = try #require(Catalog.builtIn.checkType(named: name))
        for spec in type.parameters where spec.required {
            let fixture = try ManifestFixture(["test.yaml": Self.control(type, first: nil, omit: spec.name)])
            #expect(fixture.problems() == ["test.yaml:8:12: check type `\(name)` needs parameter `\(spec.name)`"])
            #expect(fixture.fixes() == ["add `\(spec.name):` — \(spec.help)"])
        }
    }

    @Test(arguments: Catalog.builtIn.sourceKinds.filter { $0.settings.contains { $0.range != nil } }.map(\.name))
    func aNumberOutsideItsRangeIsReported(_ name: String) throws {
        let kind = try #require(Catalog.builtIn.sourceKind(named: name))
        for spec in kind.settings {
            guard let range = spec.range else { continue }
            for outside in [range.lowerBound - 1, range.upperBound + 1] {
                let text = outside == outside.rounded() ? String(Int(outside)) : String(outside)
                let yaml = Self.source(kind, first: "\(spec.name): \(text)")
                let fixture = try ManifestFixture(["test.yaml": yaml])
                let problems = fixture.problems()
                #expect(problems.count == 1 && problems[0].hasPrefix("test.yaml:4:\(Self.column(of: text, inLine: 4, of: yaml)): setting `\(spec.name)` of source `s`")
                        && problems[0].contains("is outside"), "\(name).\(spec.name) = \(text): \(problems)")
            }
        }
    }

    // MARK: - Valid blocks

    /// Every setting and parameter with a valid value loads, typed.
    @Test func everyDocumentedSettingWithAValidValueLoads() throws {
        for kind in Catalog.builtIn.sourceKinds where !kind.settings.isEmpty {
            let entries = kind.settings.map { "\($0.name): \(Self.valid($0.kind))" }
            let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: s\n    kind: \(kind.name)\n    settings: {\(entries.joined(separator: ", "))}\n"])
            #expect(fixture.problems() == [], "\(kind.name)")
            #expect(fixture.config()?.sources.last?.settings.count == kind.settings.count, "\(kind.name)")
        }
    }
}
