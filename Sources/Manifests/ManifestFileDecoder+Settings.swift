import Core
import Foundation
import Yams

/// How problems in one schema-checked block (a source's `settings:`, a check's parameters) name what they are about.
struct SchemaBlock {
    /// "check parameter `sla`", "setting `regions` of source `aws`".
    var subject: (String) -> String
    /// "unknown parameter `x` for check type `mfa`".
    var unknown: (String) -> String
    /// "check type `access_review` needs parameter `system`".
    var missing: (String) -> String
    /// "`mfa`", "kind `aws`": who takes the keys, in "remove it; `mfa` takes …".
    var owner: String
    /// "check type `mfa`", "kind `aws`": in "… takes no parameters; remove it".
    var fullOwner: String
    /// "parameters", "settings".
    var noun: String
    /// Keys written beside the schema's own that are not problems here (`type`, `sources` of a check), offered as
    /// suggestions too.
    var otherKeys: [String] = []
    /// Where a missing required key is added: "add `system:`", "add `organization:` under `settings`".
    var add: (String) -> String
}

extension ManifestFileDecoder {
    /// The values of one block checked against its schema: each unknown key (with the closest known one), each value
    /// of the wrong type or not allowed, each required key missing is reported (missing ones at `missingPosition`);
    /// the valid values come back typed: durations as written (`.string("24h")`), numbers as `.number`, lists as
    /// `.list`, URLs and paths as `.string`.
    mutating func schemaValues(_ entries: [(key: String, keyNode: Node, value: Node)], specs: [SettingSpec], block: SchemaBlock,
                               missingPosition: ManifestPosition) -> [String: ConfigValue] {
        let names = specs.map(\.name)
        var values: [String: ConfigValue] = [:]
        for entry in entries where !block.otherKeys.contains(entry.key) {
            guard let spec = specs.first(where: { $0.name == entry.key }) else {
                let allowed = names.isEmpty
                    ? "\(block.fullOwner) takes no \(block.noun); remove it"
                    : "remove it; \(block.owner) takes \(NameSuggestion.list(names))"
                log.report(position(entry.keyNode), block.unknown(entry.key),
                           fix: NameSuggestion.fix(for: entry.key, among: names + block.otherKeys, otherwise: allowed))
                continue
            }
            if let value = settingValue(entry.value, spec, subject: block.subject(spec.name)) { values[spec.name] = value }
        }
        for spec in specs where spec.required && !entries.contains(where: { $0.key == spec.name }) {
            log.report(missingPosition, block.missing(spec.name), fix: "\(block.add(spec.name)) — \(spec.help)")
        }
        return values
    }

    /// One value typed by its spec; reports it and returns nil when it does not fit.
    private mutating func settingValue(_ node: Node, _ spec: SettingSpec, subject: String) -> ConfigValue? {
        let name = spec.name
        func wrongType(_ expected: String) -> ConfigValue? {
            log.report(position(node), "\(subject) must be \(expected), not \(node.kindName)", fix: "write `\(name): \(spec.kind.example)` — \(spec.help)")
            return nil
        }
        func number(_ node: Node) -> Double? {
            guard [.int, .float].contains(node.tagName), let number = node.float else { return nil }
            return number
        }
        switch spec.kind {
        case .duration:
            guard case .scalar = node, !node.isNull else { return wrongType("a duration") }
            return duration(node, key: name).map { _ in .string(node.scalar!.string) }
        case .number, .integer:
            guard let value = number(node) else { return wrongType(spec.kind == .integer ? "a whole number" : "a number") }
            guard abs(value) <= Self.largestNumber else { return outOfRange(node, value) }
            if spec.kind == .integer, value != value.rounded() { return wrongType("a whole number") }
            if let range = spec.range, !range.contains(value) {
                func shown(_ bound: Double) -> String { bound == bound.rounded() ? String(Int(bound)) : String(bound) }
                log.report(position(node), "\(subject): \(Self.excerpt(node.scalar?.string ?? String(value))) is outside \(shown(range.lowerBound))–\(shown(range.upperBound))",
                           fix: "use a value from \(shown(range.lowerBound)) to \(shown(range.upperBound)) — \(spec.help)")
                return nil
            }
            return .number(value)
        case .bool:
            guard node.tagName == .bool, let flag = node.bool else { return wrongType("true or false") }
            return .bool(flag)
        case .string:
            guard case .scalar(let scalar) = node, !node.isNull else { return wrongType("text") }
            return .string(scalar.string)
        case .path:
            guard case .scalar(let scalar) = node, !node.isNull else { return wrongType("a path") }
            guard !scalar.string.trimmingCharacters(in: .whitespaces).isEmpty else {
                log.report(position(node), "\(subject) is empty", fix: "write `\(name): \(spec.kind.example)` — \(spec.help)")
                return nil
            }
            return .string(scalar.string)
        case .url:
            guard case .scalar(let scalar) = node, !node.isNull else { return wrongType("an http(s) URL") }
            return url(scalar.string, node: node, spec: spec, subject: subject).map(ConfigValue.string)
        case .oneOf(let allowed):
            guard case .scalar(let scalar) = node, !node.isNull else { return wrongType(spec.kind.description) }
            guard allowed.contains(scalar.string) else {
                let use = "use one of \(NameSuggestion.list(allowed))"
                let fix = NameSuggestion.closest(to: scalar.string, among: allowed).map { "did you mean `\($0)`? \(use)" } ?? use
                log.report(position(node), "\(subject): `\(Self.excerpt(scalar.string))` is not allowed", fix: fix)
                return nil
            }
            return .string(scalar.string)
        case .map:
            guard case .mapping = node else { return wrongType("a mapping") }
            return configValue(node, key: name)
        case .strings:
            guard case .sequence(let items) = node else { return wrongType("a list of texts") }
            var values: [ConfigValue] = []
            for item in items {
                guard case .scalar(let scalar) = item, !item.isNull else {
                    log.report(position(item), "items of \(subject) must be text, not \(item.kindName)", fix: "write `\(name): [a, b]` — \(spec.help)")
                    continue
                }
                values.append(.string(scalar.string))
            }
            return .list(values)
        case .numbers:
            guard case .sequence(let items) = node else { return wrongType("a list of numbers") }
            var values: [ConfigValue] = []
            for item in items {
                guard let value = number(item) else {
                    log.report(position(item), "items of \(subject) must be numbers, not \(item.kindName)",
                               fix: "write `\(name): [22, 3389]` — \(spec.help)")
                    continue
                }
                guard abs(value) <= Self.largestNumber else { _ = outOfRange(item, value); continue }
                values.append(.number(value))
            }
            return .list(values)
        }
    }

    /// An absolute http(s) URL with a host, or a report saying what to write (`127.0.0.1:5125` needs a scheme).
    private mutating func url(_ text: String, node: Node, spec: SettingSpec, subject: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lower = trimmed.lowercased()
        let hasScheme = lower.hasPrefix("http://") || lower.hasPrefix("https://")
        if hasScheme, let url = URL(string: trimmed), let host = url.host, !host.isEmpty { return trimmed }
        let shown = Self.excerpt(trimmed)
        if !hasScheme, !trimmed.contains("://"), !trimmed.isEmpty, URL(string: "https://" + trimmed)?.host?.isEmpty == false {
            log.report(position(node), "\(subject) `\(shown)` needs http:// or https://",
                       fix: "write `\(spec.name): https://\(shown)` (or http:// for a local emulator) — \(spec.help)")
        } else {
            log.report(position(node), "\(subject) `\(shown)` is not an http(s) URL",
                       fix: "write `\(spec.name): \(spec.kind.example)` — \(spec.help)")
        }
        return nil
    }

    /// Reports a number (or NaN, or infinity) beyond `largestNumber`; nil.
    private mutating func outOfRange(_ node: Node, _ number: Double) -> ConfigValue? {
        log.report(position(node), "number `\(Self.excerpt(node.scalar?.string ?? String(number)))` is out of range",
                   fix: "use a number between -1000000000 and 1000000000")
        return nil
    }
}
