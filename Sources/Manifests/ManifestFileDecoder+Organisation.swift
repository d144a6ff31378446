import Core
import Foundation
import Yams

extension ManifestFileDecoder {
    /// `routing: {default: {slack: C0SECURITY, terminal: "#security"}}`: where alerts of a team without channels go.
    mutating func decodeRouting(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["default"], what: "`routing`") else { return }
        var channels: [ChatPlatform: String] = [:]
        if let defaultNode = fields["default"], let map = platformMap(defaultNode, key: "default") {
            if map.isEmpty {
                log.report(position(defaultNode), "`routing.default` names no channel",
                           fix: "add at least one platform, e.g. `default: {slack: C0SECURITY}`")
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

    /// `chat:` how the bot reaches each platform; tokens are named by environment variable.
    /// `slack: {bot_token: SLACK_BOT_TOKEN, mode: socket|http, app_token: SLACK_APP_TOKEN, signing_secret: SLACK_SIGNING_SECRET,
    /// team_id: T…, app_id: A…, api_base_url: …}`
    mutating func decodeChat(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["slack", "matrix"], what: "`chat`") else { return }
        var chat = ChatConfig()
        if let matrixNode = fields["matrix"] { chat.matrix = decodeMatrix(matrixNode) }
        if let slackNode = fields["slack"],
           let slack = self.fields(slackNode, known: ["bot_token", "app_token", "signing_secret", "api_base_url", "mode", "team_id", "app_id"],
                                   what: "`chat.slack`") {
            func variable(_ key: String) -> String? { environmentVariable(slack, key, of: "chat.slack", example: "SLACK_BOT_TOKEN") }
            /// A Slack id (`T…`, `A…`): upper-case letters and digits starting with `prefix`.
            func slackID(_ key: String, prefix: Character, example: String) -> String? {
                guard let valueNode = slack[key], let value = text(valueNode, key: key) else { return nil }
                guard value.first == prefix, value.count >= 3, value.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                    log.report(position(valueNode), "`chat.slack.\(key)` `\(value)` is not a Slack id",
                               fix: "write the id Slack shows, e.g. `\(example)` (upper-case letters and digits starting with \(prefix))")
                    return nil
                }
                return value
            }
            if slack["bot_token"] == nil {
                log.report(position(slackNode), "`chat.slack` has no `bot_token`",
                           fix: "add `bot_token: SLACK_BOT_TOKEN` (the environment variable holding the xoxb- token)")
            }
            var base: String?
            if let baseNode = slack["api_base_url"], let text = text(baseNode, key: "api_base_url") {
                if let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil {
                    base = text.hasSuffix("/") ? text : text + "/"
                } else {
                    log.report(position(baseNode), "`chat.slack.api_base_url` is not an http(s) URL", fix: "write e.g. `https://slack.com/api/`")
                }
            }
            var mode = ChatConfig.Slack.Mode.socket
            if let modeNode = slack["mode"], let text = text(modeNode, key: "mode") {
                if let parsed = ChatConfig.Slack.Mode(rawValue: text) { mode = parsed } else {
                    log.report(position(modeNode), "`chat.slack.mode` `\(text)` is not a Slack transport",
                               fix: "write `socket` (Socket Mode: no public URL, needs app_token) or `http` (signed requests to `server.listen`, needs signing_secret)")
                }
            }
            // Every field is checked, so every problem is reported at once.
            let token = variable("bot_token"), appToken = variable("app_token"), signingSecret = variable("signing_secret")
            let teamID = slackID("team_id", prefix: "T", example: "T024BE7LD"), appID = slackID("app_id", prefix: "A", example: "A0123ABCD")
            if mode == .socket && slack["app_token"] == nil {
                log.report(position(slackNode), "`chat.slack` uses Socket Mode but has no `app_token`",
                           fix: "add `app_token: SLACK_APP_TOKEN` (the variable holding the xapp- token with connections:write), or set `mode: http`")
            }
            if mode == .http && slack["signing_secret"] == nil {
                log.report(position(slackNode), "`chat.slack` uses HTTP mode but has no `signing_secret`",
                           fix: "add `signing_secret: SLACK_SIGNING_SECRET` (the variable holding the app's signing secret): unsigned requests are never accepted")
            }
            if let token {
                chat.slack = .init(botTokenVariable: token, appTokenVariable: appToken, signingSecretVariable: signingSecret, apiBaseURL: base,
                                   mode: mode, teamID: teamID, appID: appID)
            }
        }
        draft.chat.append(.init(value: chat, position: keyPosition))
    }

    /// `matrix: {homeserver: https://matrix.example.org, user_id: "@soc2bot:example.org", access_token: MATRIX_ACCESS_TOKEN
    /// | password: MATRIX_PASSWORD, device_id: SOC2BOT}`
    mutating func decodeMatrix(_ node: Node) -> ChatConfig.Matrix? {
        guard let matrix = fields(node, known: ["homeserver", "user_id", "access_token", "password", "device_id"], what: "`chat.matrix`") else {
            return nil
        }
        var homeserver: String?
        if let hsNode = required(matrix, "homeserver", of: "`chat.matrix`"), let text = text(hsNode, key: "homeserver") {
            if let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil {
                homeserver = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                log.report(position(hsNode), "`chat.matrix.homeserver` is not an http(s) URL",
                           fix: "write the client-server API base, e.g. `https://matrix.example.org`")
            }
        }
        var userID: String?
        if let userNode = required(matrix, "user_id", of: "`chat.matrix`"), let text = text(userNode, key: "user_id") {
            if text.hasPrefix("@"), let colon = text.firstIndex(of: ":"), colon > text.index(after: text.startIndex), colon < text.index(before: text.endIndex) {
                userID = text
            } else {
                log.report(position(userNode), "`chat.matrix.user_id` `\(text)` is not a Matrix user id",
                           fix: "write the bot's full id in quotes, e.g. `\"@soc2bot:example.org\"`")
            }
        }
        func variable(_ key: String) -> String? { environmentVariable(matrix, key, of: "chat.matrix", example: "MATRIX_ACCESS_TOKEN") }
        let token = variable("access_token"), password = variable("password")
        if matrix["access_token"] == nil && matrix["password"] == nil {
            log.report(position(node), "`chat.matrix` has neither `access_token` nor `password`",
                       fix: "add `access_token: MATRIX_ACCESS_TOKEN` (preferred) or `password: MATRIX_PASSWORD`: the environment variable the bot signs in with")
        }
        var deviceID = "SOC2BOT"
        if let deviceNode = matrix["device_id"], let text = text(deviceNode, key: "device_id") {
            if !text.isEmpty, text.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                deviceID = text
            } else {
                log.report(position(deviceNode), "`chat.matrix.device_id` `\(text)` is not a device id", fix: "use letters, digits, `_` and `-`, e.g. `SOC2BOT`")
            }
        }
        guard let homeserver, let userID, token != nil || password != nil else { return nil }
        return ChatConfig.Matrix(homeserver: homeserver, userID: userID, accessTokenVariable: token, passwordVariable: password, deviceID: deviceID)
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
