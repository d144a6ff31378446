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
    /// `slack: {bot_token: SLACK_BOT_TOKEN, app_token: SLACK_APP_TOKEN, signing_secret: SLACK_SIGNING_SECRET, api_base_url: …}`
    mutating func decodeChat(_ node: Node, keyPosition: ManifestPosition) {
        guard let fields = fields(node, known: ["slack"], what: "`chat`") else { return }
        var chat = ChatConfig()
        if let slackNode = fields["slack"],
           let slack = self.fields(slackNode, known: ["bot_token", "app_token", "signing_secret", "api_base_url"], what: "`chat.slack`") {
            func variable(_ key: String) -> String? {
                guard let valueNode = slack[key], let value = text(valueNode, key: key) else { return nil }
                guard Self.isEnvironmentVariableName(value) else {
                    log.report(position(valueNode), "`chat.slack.\(key)` does not look like an environment variable name",
                               fix: "name the environment variable, never the value: upper-case letters, digits and `_`, e.g. `SLACK_BOT_TOKEN`")
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
            // Every variable is checked, so every problem is reported at once.
            let token = variable("bot_token"), appToken = variable("app_token"), signingSecret = variable("signing_secret")
            if let token {
                chat.slack = .init(botTokenVariable: token, appTokenVariable: appToken, signingSecretVariable: signingSecret, apiBaseURL: base)
            }
        }
        draft.chat.append(.init(value: chat, position: keyPosition))
    }
}
