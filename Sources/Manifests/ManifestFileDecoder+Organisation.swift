import Core
import Foundation
import Yams

extension ManifestFileDecoder {
    /// `routing: {default: {<platform>: C0SECURITY, …}}`: where alerts of a team without channels go.
    mutating func decodeRouting(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["default"], what: "`routing`") else { return }
        var channels: [ChatPlatform: String] = [:]
        if let defaultNode = fields["default"], let map = platformMap(defaultNode, key: "default") {
            if map.isEmpty {
                log.report(position(defaultNode), "`routing.default` names no channel",
                           fix: "add at least one platform, e.g. `default: {\(catalog.chatPlatformNames.first ?? "<platform>"): C0SECURITY}`")
            }
            channels = map
        }
        draft.routing.append(.init(value: channels, position: keyPosition))
    }

    /// `escalation:` timing and levels; anything left out keeps `EscalationPolicy.standard`'s value.
    mutating func decodeEscalation(_ node: Node, keyPosition: ManifestPosition) {
        let known = ["ack_timeout", "sla", "max_snooze", "max_risk_acceptance", "levels"]
        guard let fields = fields(node, known: known, what: "`escalation`") else { return }
        var policy = EscalationPolicy.standard
        if let map = fields["ack_timeout"] { policy.ackTimeout.merge(severityDurations(map, key: "ack_timeout")) { $1 } }
        if let map = fields["sla"] { policy.sla.merge(severityDurations(map, key: "sla")) { $1 } }
        if let value = fields["max_snooze"], let seconds = duration(value, key: "max_snooze") { policy.maxSnooze = seconds }
        if let value = fields["max_risk_acceptance"], let seconds = duration(value, key: "max_risk_acceptance") {
            policy.maxRiskAcceptance = seconds
        }
        if let value = fields["levels"], let names = textList(value, key: "levels") {
            let known = EscalationTarget.allCases.map(\.rawValue)
            var levels: [EscalationTarget] = []
            for name in names {
                if let level = EscalationTarget(rawValue: name.value) {
                    levels.append(level)
                } else {
                    log.report(name.position, "unknown escalation level `\(name.value)`",
                               fix: NameSuggestion.fix(for: name.value, among: known,
                                                       otherwise: "use \(NameSuggestion.list(known))"))
                }
            }
            if names.isEmpty {
                log.report(position(value), "`levels` is empty: alerts would never be posted or escalated",
                           fix: "write `levels: [team_channel, team_manager, security_leads]` or leave it out for that default")
            }
            if levels.count == names.count, !levels.isEmpty { policy.levels = levels }
        }
        draft.escalation.append(.init(value: policy, position: keyPosition))
    }

    /// `{critical: 30m, high: 4h}`: a duration per severity; unknown severities are reported.
    private mutating func severityDurations(_ node: Node, key: String) -> [Severity: TimeInterval] {
        let names = Severity.allCases.map(\.rawValue)
        guard let fields = fields(node, known: names, what: "`\(key)`") else { return [:] }
        var result: [Severity: TimeInterval] = [:]
        for name in fields.keys {
            guard let severity = Severity(rawValue: name), let value = required(fields, name, of: "`\(key)`") else { continue }
            if let seconds = duration(value, key: "\(key).\(name)") { result[severity] = seconds }
        }
        return result
    }

    /// `chat:` how the bot reaches each platform: one `<id>:` block per platform the catalog knows and the manifests
    /// configure, checked against that platform's `SettingSpec`s (as a source's `settings:` are), its environment
    /// variable names, then the platform's own checks. Tokens are named by environment variable, never written.
    mutating func decodeChat(_ node: Node, keyPosition: ManifestPosition) {
        let kinds = catalog.chatPlatforms.filter(\.configurable)
        guard let fields = fields(node, known: kinds.map(\.platform.rawValue), what: "`chat`") else { return }
        var chat = ChatConfig()
        for kind in kinds {
            guard let blockNode = fields[kind.platform.rawValue] else { continue }
            let owner = "chat.\(kind.platform.rawValue)"
            guard case .mapping(let mapping) = blockNode else {
                log.report(position(blockNode), "`\(owner)` must be a mapping, not \(blockNode.kindName)",
                           fix: "write `key: value` lines; allowed keys: \(NameSuggestion.list(kind.settings.map(\.name)))")
                continue
            }
            let entries = mapping.map { (key: $0.key.scalar?.string ?? "", keyNode: $0.key, value: $0.value) }
            func valueNode(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            let block = SchemaBlock(subject: { "`\(owner).\($0)`" }, unknown: { "unknown key `\($0)`" },
                                    missing: { "`\(owner)` has no `\($0)`" }, owner: "`\(owner)`", fullOwner: "`\(owner)`",
                                    noun: "keys", add: { "add `\($0):`" })
            var values = schemaValues(entries, specs: kind.settings, block: block, missingPosition: position(blockNode))
            var problems = 0
            for problem in kind.check(values) {
                log.report(problem.key.flatMap(valueNode).map(position) ?? position(blockNode), problem.message, fix: problem.fix)
                problems += 1
            }
            for key in kind.variables {
                guard let text = values[key]?.string, !Self.isEnvironmentVariableName(text) else { continue }
                log.report(valueNode(key).map(position) ?? position(blockNode), "`\(owner).\(key)` does not look like an environment variable name",
                           fix: "name the environment variable, never the value: upper-case letters, digits and `_`, e.g. `\("\(kind.platform.rawValue)_\(key)".uppercased())`")
                values[key] = nil
                problems += 1
            }
            if problems == 0 { chat[kind.platform] = kind.configured(values) }
        }
        draft.chat.append(.init(value: chat, position: keyPosition))
    }

    /// The environment variable named at `fields[key]` (a secret's name, never its value), or nil when absent or
    /// when it does not look like a variable name (reported without repeating the value).
    mutating func environmentVariable(_ fields: Fields, _ key: String, of owner: String, example: String) -> String? {
        guard let valueNode = fields[key], let value = text(valueNode, key: key) else { return nil }
        guard Self.isEnvironmentVariableName(value) else {
            log.report(position(valueNode), "`\(owner).\(key)` does not look like an environment variable name",
                       fix: "name the environment variable, never the value: upper-case letters, digits and `_`, e.g. `\(example)`")
            return nil
        }
        return value
    }

    /// `server: {listen: "127.0.0.1:8080"}`: where the inbound HTTP server listens.
    mutating func decodeServer(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["listen", "trust_center_key", "dashboard_token"], what: "`server`"),
              let listenNode = required(fields, "listen", of: "`server`"), let text = text(listenNode, key: "listen") else { return }
        guard var server = Self.listenAddress(text) else {
            log.report(position(listenNode), "`server.listen` `\(text)` is not host:port",
                       fix: "write e.g. `127.0.0.1:8080` (loopback, behind a reverse proxy) or `0.0.0.0:8080`; the port is 1–65535")
            return
        }
        server.trustCenterKeyVariable = environmentVariable(fields, "trust_center_key", of: "`server`", example: "SOC2BOT_TRUST_CENTER_KEY")
        server.dashboardTokenVariable = environmentVariable(fields, "dashboard_token", of: "`server`", example: "SOC2BOT_DASHBOARD_TOKEN")
        draft.server.append(.init(value: server, position: keyPosition))
    }

    /// `host:port` with a port in 1…65535 (`[::1]:8080` for IPv6).
    static func listenAddress(_ text: String) -> ServerConfig? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        return ServerConfig(host: host, port: port)
    }
}
