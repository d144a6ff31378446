import Core
import Yams

extension ManifestFileDecoder {
    static let sourceKeys = ["id", "kind", "credentials", "settings"]

    /// One `sources:` item: a system to read facts from, its credentials named by environment variable, and settings.
    mutating func decodeSource(_ node: Node) {
        guard let fields = fields(node, known: Self.sourceKeys, what: "a source") else { return }
        let id = identifier(fields, of: "a source")
        let owner = Self.describe("source", id)
        let kindNames = catalog.sourceKinds.map(\.name)
        var kind: SourceKind?
        let kindText = requiredText(fields, "kind", of: owner)
        if let kindText {
            kind = catalog.sourceKind(named: kindText.value)
            if kind == nil {
                let known = "known kinds: \(kindNames.joined(separator: ", "))"
                let fix = NameSuggestion.closest(to: kindText.value, among: kindNames).map { "did you mean `\($0)`? \(known)" }
                    ?? "use one of the \(known)"
                log.report(kindText.position, "unknown source kind `\(kindText.value)`", fix: fix)
            }
        }
        let sourceName = id?.value ?? kind?.name ?? "source"
        var credentials = fields["credentials"].map { self.credentials($0, kind: kind, owner: owner, sourceName: sourceName) } ?? [:]
        if let kind, fields["credentials"]?.mapping != nil || fields["credentials"] == nil {
            // A required role left out reads its default variable; one without a default must be named.
            let written = Set(fields["credentials"]?.mapping?.keys.compactMap { $0.scalar?.string } ?? [])
            var missing: [String] = []
            for role in kind.credentials where role.required && !written.contains(role.name) {
                if let variable = role.defaultVariable { credentials[role.name] = variable } else { missing.append(role.name) }
            }
            if !missing.isEmpty {
                let example = missing.map { "\($0): \(Self.suggestedVariable(source: sourceName, role: $0))" }.joined(separator: ", ")
                log.report(fields.keyNode("credentials").map(position) ?? fields.position,
                           "\(owner) of kind `\(kind.name)` has no credential \(NameSuggestion.list(missing))",
                           fix: "name the environment variable holding each, e.g. `credentials: {\(example)}`")
            }
        }
        var settings: [String: ConfigValue] = [:]
        if let node = fields["settings"] {
            if case .mapping(let mapping) = node {
                if let kind {
                    let entries = mapping.map { (key: $0.key.scalar?.string ?? "", keyNode: $0.key, value: $0.value) }
                    settings = schemaValues(entries, specs: kind.settings, block: Self.settingsBlock(owner: owner, kind: kind),
                                            missingPosition: position(node))
                }
            } else {
                log.report(position(node), "`settings` must be a mapping, not \(node.kindName)", fix: "write `settings: {\(Self.settingsExample(kind))}`")
            }
        } else if let kind, fields.has("settings") || kind.settings.contains(where: \.required) {
            _ = schemaValues([], specs: kind.settings, block: Self.settingsBlock(owner: owner, kind: kind),
                             missingPosition: fields.keyNode("settings").map(position) ?? fields.position)
        }
        let source = SourceConfig(id: SourceID(id?.value ?? ""), kind: kindText?.value ?? "",
                                  credentialVariables: credentials, settings: settings)
        draft.sources.append(.init(value: source, id: id, position: fields.position))
    }

    /// How problems in a source's `settings:` name it: "setting `regions` of source `aws`".
    private static func settingsBlock(owner: String, kind: SourceKind) -> SchemaBlock {
        SchemaBlock(subject: { "setting `\($0)` of \(owner)" }, unknown: { "unknown setting `\($0)` for \(owner) of kind `\(kind.name)`" },
                    missing: { "\(owner) of kind `\(kind.name)` needs setting `\($0)`" }, owner: "kind `\(kind.name)`", fullOwner: "kind `\(kind.name)`", noun: "settings",
                    add: { "add `\($0):` under `settings`" })
    }

    /// `organization: <text>` for a fix: the kind's first required setting, else its first.
    private static func settingsExample(_ kind: SourceKind?) -> String {
        guard let spec = kind?.settings.first(where: \.required) ?? kind?.settings.first else { return "<setting>: <value>" }
        return "\(spec.name): \(spec.kind.example)"
    }

    /// `credentials: {token: GITHUB_TOKEN}`: role → environment variable name. A value that does not look like a
    /// variable name is reported without echoing it, since it is probably the secret itself.
    private mutating func credentials(_ node: Node, kind: SourceKind?, owner: String, sourceName: String) -> [String: String] {
        guard case .mapping(let mapping) = node else {
            log.report(position(node), "`credentials` must be a mapping of role to environment variable name, not \(node.kindName)",
                       fix: "write `credentials: {token: GITHUB_TOKEN}`")
            return [:]
        }
        var result: [String: String] = [:]
        for (roleNode, value) in mapping {
            let role = roleNode.scalar?.string ?? ""
            if let kind, !kind.allCredentials.contains(role) {
                let roles = kind.allCredentials
                let otherwise = roles.isEmpty
                    ? "kind `\(kind.name)` needs no credentials; remove it"
                    : "kind `\(kind.name)` takes \(NameSuggestion.list(roles))"
                log.report(position(roleNode), "unknown credential `\(role)` for \(owner)",
                           fix: NameSuggestion.fix(for: role, among: roles, otherwise: otherwise))
                continue
            }
            guard case .scalar(let scalar) = value, !value.isNull else {
                log.report(position(value), "credential `\(role)` must be an environment variable name, not \(value.kindName)",
                           fix: "write `\(role): \(Self.suggestedVariable(source: sourceName, role: role))`")
                continue
            }
            guard Self.isEnvironmentVariableName(scalar.string) else {
                log.report(position(value), "credential `\(role)` of \(owner) does not look like an environment variable name",
                           fix: "name the environment variable, never the value: upper-case letters, digits and `_`, e.g. `GITHUB_TOKEN`")
                continue
            }
            result[role] = scalar.string
        }
        return result
    }

    /// `GITHUB_TOKEN` for source `github` and role `token`: a name to suggest in fixes.
    static func suggestedVariable(source: String, role: String) -> String {
        let raw = "\(source)_\(role)".uppercased()
        return String(raw.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
