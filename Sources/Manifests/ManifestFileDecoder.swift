import Core
import Foundation
import Yams

/// Reads one manifest file's YAML tree into a `ManifestDraft`, reporting every local problem (unknown keys,
/// missing fields, wrong types, bad values) at the offending node. Cross-file checks happen in `ManifestLinker`.
struct ManifestFileDecoder {
    /// The file's path as given, used in every problem.
    let file: String
    /// The source kinds and check types the manifests may use, with their settings and parameter schemas:
    /// `Catalog.builtIn` (module `Checks`), or a test's own.
    let catalog: Catalog
    var log = ProblemLog()
    var draft = ManifestDraft()

    init(file: String, catalog: Catalog) {
        self.file = file
        self.catalog = catalog
        draft.files = [file]
    }

    /// The keys a manifest file may have at its top level.
    static let topLevelKeys = ["organisation", "security_leads", "people", "teams", "routing", "escalation", "chat", "server", "controls", "sources",
                                "vendors", "policies", "digest", "auditors", "ledger"]

    /// Reads a file's root node; nil (an empty file or one holding only comments) contributes nothing.
    mutating func decode(root: Node?) {
        guard let root else { return }
        guard let fields = fields(root, known: Self.topLevelKeys, what: "a manifest file") else { return }
        for key in fields.keys {
            guard let value = fields[key] else { continue }
            let keyPosition = position(fields.keyNode(key) ?? value)
            switch key {
            case "organisation":
                // Recorded even when malformed (already reported), so it is not also reported as missing.
                draft.organisation.append(.init(value: text(value, key: key) ?? "", position: keyPosition))
            case "security_leads":
                for lead in textList(value, key: key) ?? [] {
                    draft.securityLeads.append(lead)
                    draft.references.append(.init(kind: .person, id: lead, field: "security_leads"))
                }
            case "routing": decodeRouting(value, keyPosition: keyPosition)
            case "escalation": decodeEscalation(value, keyPosition: keyPosition)
            case "chat": decodeChat(value, keyPosition: keyPosition)
            case "server": decodeServer(value, keyPosition: keyPosition)
            case "people": for item in items(value, key: key, example: "- id: dana") { decodePerson(item) }
            case "teams": for item in items(value, key: key, example: "- id: infra") { decodeTeam(item) }
            case "controls": for item in items(value, key: key, example: "- id: admin-mfa") { decodeControl(item) }
            case "sources": for item in items(value, key: key, example: "- id: github") { decodeSource(item) }
            case "vendors": for item in items(value, key: key, example: "- id: stripe") { decodeVendor(item) }
            case "digest": decodeDigest(value, keyPosition: keyPosition)
            case "auditors": for item in items(value, key: key, example: "- name: Jane Auditor") { decodeAuditor(item) }
            case "policies": for item in items(value, key: key, example: "- id: acceptable-use") { decodePolicy(item) }
            case "ledger": decodeLedger(value, keyPosition: keyPosition)
            default: break
            }
        }
    }

    // MARK: - Positions and descriptions

    func position(_ node: Node) -> ManifestPosition {
        .init(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// "person `dana`" when the id is known, else "a person".
    static func describe(_ kind: String, _ id: Located<String>?) -> String {
        id.map { "\(kind) `\($0.value)`" } ?? "a \(kind)"
    }

    /// What to write for a missing required key, used in "add `…`" fixes.
    static let examples: [String: String] = [
        "id": "id: <short-name>", "name": "name: <display name>", "email": "email: <address>",
        "title": "title: <one line>", "criteria": "criteria: [CC6.1]", "owner": "owner: <team id>",
        "severity": "severity: high", "cadence": "cadence: 1h", "remediation": "remediation: <console path or CLI command>",
        "kind": "kind: github", "type": "type: mfa", "evidence": "evidence: <what the owner records>",
    ]

    // MARK: - Structure

    /// `node` as a mapping whose keys must be among `known`. Reports each unknown key (suggesting the closest
    /// known one) and returns the known entries; reports and returns nil when `node` is not a mapping.
    mutating func fields(_ node: Node, known: [String], what: String) -> Fields? {
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "\(what) must be a mapping, not \(node.kindName)",
                       fix: "write `key: value` lines; allowed keys: \(NameSuggestion.list(known))")
            return nil
        }
        var keys: [String] = []
        var entries: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                log.report(position(keyNode), "a key must be plain text, not \(keyNode.kindName)",
                           fix: "use one of \(NameSuggestion.list(known))")
                continue
            }
            let key = scalar.string
            guard known.contains(key) else {
                log.report(position(keyNode), "unknown key `\(key)`",
                           fix: NameSuggestion.fix(for: key, among: known,
                                                   otherwise: "remove it; allowed here: \(NameSuggestion.list(known))"))
                continue
            }
            keys.append(key)
            entries[key] = (keyNode, value)
        }
        return Fields(position: position(node), keys: keys, entries: entries)
    }

    /// The items of a top-level list (`people`, `teams`, …); reports and returns none when it is not a list.
    mutating func items(_ node: Node, key: String, example: String) -> [Node] {
        guard case .sequence(let sequence) = node else {
            log.report(position(node), "`\(key)` must be a list, not \(node.kindName)",
                       fix: "write each entry as a list item starting with `\(example)`")
            return []
        }
        return Array(sequence)
    }

    /// The value of a required key; reports a missing key at the mapping and an empty value at the key.
    mutating func required(_ fields: Fields, _ key: String, of owner: String) -> Node? {
        if let value = fields[key] { return value }
        let example = Self.examples[key] ?? "\(key): …"
        if let keyNode = fields.keyNode(key) {
            log.report(position(keyNode), "`\(key)` of \(owner) is empty", fix: "give it a value: `\(example)`")
        } else {
            log.report(fields.position, "\(owner) has no `\(key)`", fix: "add `\(example)`")
        }
        return nil
    }

    // MARK: - Scalars

    /// A scalar's text, trimmed; reports lists, mappings and blank text.
    mutating func text(_ node: Node, key: String) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            log.report(position(node), "`\(key)` must be text, not \(node.kindName)", fix: "write `\(key): <text>`")
            return nil
        }
        let value = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else {
            log.report(position(node), "`\(key)` is blank", fix: "write `\(key): <text>`")
            return nil
        }
        return value
    }

    /// A required key's text with its position.
    mutating func requiredText(_ fields: Fields, _ key: String, of owner: String) -> Located<String>? {
        guard let node = required(fields, key, of: owner), let value = text(node, key: key) else { return nil }
        return .init(value: value, position: position(node))
    }

    /// An optional key's text with its position; nil when absent or empty.
    mutating func optionalText(_ fields: Fields, _ key: String) -> Located<String>? {
        guard let node = fields[key], let value = text(node, key: key) else { return nil }
        return .init(value: value, position: position(node))
    }

    /// An id: required text of letters, digits, `.`, `_` and `-`, so it can be typed in chat commands.
    mutating func identifier(_ fields: Fields, of owner: String) -> Located<String>? {
        guard let id = requiredText(fields, "id", of: owner) else { return nil }
        guard Self.isIdentifier(id.value) else {
            let suggestion = id.value.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
            log.report(id.position, "id `\(id.value)` may only contain letters, digits, `.`, `_` and `-`, starting with a letter or digit",
                       fix: "rename it, e.g. `\(suggestion)`, so it can be typed in chat commands")
            return nil
        }
        return id
    }

    /// Whether `text` is ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit.
    static func isIdentifier(_ text: String) -> Bool {
        let isAlphanumeric: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        guard let first = text.unicodeScalars.first, isAlphanumeric(first) else { return false }
        return text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// Whether `text` names an environment variable (`^[A-Z_][A-Z0-9_]*$`) rather than holding a secret.
    static func isEnvironmentVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("A"..."Z").contains(first) || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// A list of texts (ids, criteria) with their positions; reports a non-list and each non-text item.
    mutating func textList(_ node: Node, key: String) -> [Located<String>]? {
        guard case .sequence(let sequence) = node else {
            log.report(position(node), "`\(key)` must be a list, not \(node.kindName)", fix: "write `\(key): [a, b]`")
            return nil
        }
        return sequence.compactMap { item in
            text(item, key: key).map { Located(value: $0, position: position(item)) }
        }
    }

    /// A duration in seconds (`30m`, `4h`, `7d`, `1d12h`); reports anything else. `allowZero` also accepts `0`.
    mutating func duration(_ node: Node, key: String, allowZero: Bool = false) -> TimeInterval? {
        guard let value = text(node, key: key) else { return nil }
        if allowZero, value == "0" { return 0 }
        switch DurationText.read(value) {
        case .success(let seconds):
            return seconds
        case .failure(.outOfRange):
            log.report(position(node), "`\(key)`: `\(Self.excerpt(value))` is out of range",
                       fix: "durations may be at most \(DurationText.maximumText)")
            return nil
        case .failure(.malformed):
            log.report(position(node), "`\(key)`: `\(Self.excerpt(value))` is not a positive duration",
                       fix: "write a number and a unit (s, m, h, d, w), e.g. `30m`, `4h`, `7d` or `1d12h`\(allowZero ? ", or 0" : "")")
            return nil
        }
    }

    /// `text` cut to 60 characters for a problem message: a pasted megabyte is named, not repeated.
    static func excerpt(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(59)) + "…"
    }

    /// A severity name; reports unknown ones, suggesting the closest.
    mutating func severity(_ node: Node, key: String) -> Severity? {
        guard let value = text(node, key: key) else { return nil }
        if let severity = Severity(rawValue: value.lowercased()) { return severity }
        let names = Severity.allCases.map(\.rawValue)
        log.report(position(node), "unknown severity `\(value)`",
                   fix: NameSuggestion.fix(for: value, among: names, otherwise: "use one of \(NameSuggestion.list(names))"))
        return nil
    }

    /// A mapping of chat platform (one the catalog knows) to channel, room or user id: `{<platform>: C0INFRA}`.
    mutating func platformMap(_ node: Node, key: String) -> [ChatPlatform: String]? {
        let names = catalog.chatPlatformNames
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "`\(key)` must be a mapping of chat platform to id, not \(node.kindName)",
                       fix: "write `\(key): \(catalog.chatPlatformExample())`")
            return nil
        }
        var result: [ChatPlatform: String] = [:]
        for (platformNode, value) in mapping {
            let name = platformNode.scalar?.string ?? ""
            guard names.contains(name) else {
                log.report(position(platformNode), "unknown chat platform `\(name)` in `\(key)`",
                           fix: NameSuggestion.fix(for: name, among: names, otherwise: "use \(NameSuggestion.list(names))"))
                continue
            }
            if let id = text(value, key: "\(key).\(name)") { result[ChatPlatform(name)] = id }
        }
        return result
    }

    /// Any value, as the JSON-like `ConfigValue` (free-form source settings). Reports empty values.
    mutating func configValue(_ node: Node, key: String) -> ConfigValue? {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null:
                log.report(position(node), "`\(key)` is empty", fix: "give it a value or remove the key")
                return nil
            case .bool: return node.bool.map(ConfigValue.bool) ?? .string(scalar.string)
            case .int, .float:
                guard let number = node.float else { return .string(scalar.string) }
                guard abs(number) <= Self.largestNumber else {
                    log.report(position(node), "`\(key)`: number `\(Self.excerpt(scalar.string))` is out of range",
                               fix: "use a number between -1000000000 and 1000000000, or quote it to keep it as text")
                    return nil
                }
                return .number(number)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [ConfigValue] = []
            for item in sequence { if let value = configValue(item, key: key) { items.append(value) } }
            return .list(items)
        case .mapping(let mapping):
            var entries: [String: ConfigValue] = [:]
            for (entryKey, value) in mapping {
                let name = entryKey.scalar?.string ?? entryKey.kindName
                if let converted = configValue(value, key: "\(key).\(name)") { entries[name] = converted }
            }
            return .map(entries)
        case .alias:
            log.report(position(node), "`\(key)` is an unresolved alias", fix: "write the value out")
            return nil
        }
    }
}
