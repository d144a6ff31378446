import Foundation
import HTTP

/// What Slack sends the bot, built as Slack builds it (docs.slack.dev: slash commands, `block_actions`,
/// `view_submission`, request signing), independently of the bot's own decoders.
package enum FakeSlackPayloads {
    package static let team = "T0NORTHWND"
    package static let appID = "A0SOC2BOT1"

    /// A `/soc2` slash command as an `application/x-www-form-urlencoded` body.
    package static func slashCommand(_ text: String, user: String, channel: String = "C0INFRA", trigger: String,
                                     responseURL: String = "https://\(FakeSlackWebAPI.responseHost)/commands/T0NORTHWND/1/abc",
                                     team: String = team, appID: String = appID) -> Data {
        FakeSlackForm.encode([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"), ("team_id", team), ("team_domain", "northwind"), ("channel_id", channel),
            ("channel_name", "infra"), ("user_id", user), ("user_name", "someone"), ("command", "/soc2"), ("text", text),
            ("api_app_id", appID), ("is_enterprise_install", "false"), ("response_url", responseURL), ("trigger_id", trigger),
        ])
    }

    /// The same slash command as the JSON object a Socket Mode `slash_commands` envelope carries.
    package static func slashCommandObject(_ text: String, user: String, channel: String = "C0INFRA", trigger: String,
                                           responseURL: String = "https://\(FakeSlackWebAPI.responseHost)/commands/T0NORTHWND/1/abc") -> [String: Any] {
        FakeSlackForm.decode(slashCommand(text, user: user, channel: channel, trigger: trigger, responseURL: responseURL))
    }

    /// A click on the element with `actionID` in a posted message: the `block_actions` payload object.
    /// For an overflow menu, `selectedValue` is the chosen option's value.
    package static func blockActions(message: FakeSlackWebAPI.Posted, actionID: String, selectedValue: String? = nil, user: String,
                                     trigger: String, team: String = team, appID: String = appID) -> [String: Any] {
        let blocks = ((try? JSONSerialization.jsonObject(with: message.body) as? [String: Any])?["blocks"] as? [[String: Any]]) ?? []
        var action: [String: Any] = ["action_id": actionID, "block_id": "unknown", "type": "button",
                                     "action_ts": "\(Int(TestClock.start.timeIntervalSince1970)).\(Int.random(in: 100_000...999_999))"]
        for block in blocks {
            for element in block["elements"] as? [[String: Any]] ?? [] where element["action_id"] as? String == actionID {
                action["block_id"] = block["block_id"] ?? "b"
                action["type"] = element["type"] ?? "button"
                if let value = element["value"] { action["value"] = value }
                if let text = element["text"] { action["text"] = text }
            }
        }
        if let selectedValue {
            action["type"] = "overflow"
            action["selected_option"] = ["text": ["type": "plain_text", "text": "option"], "value": selectedValue]
        }
        return [
            "type": "block_actions",
            "team": ["id": team, "domain": "northwind"],
            "user": ["id": user, "username": "someone", "team_id": team],
            "api_app_id": appID, "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": trigger,
            "container": ["type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": false],
            "channel": ["id": message.channel, "name": "infra"],
            "message": ["ts": message.ts, "text": message.text, "type": "message"],
            "response_url": "https://\(FakeSlackWebAPI.responseHost)/actions/T0NORTHWND/2/def",
            "actions": [action],
            "state": ["values": [String: Any]()],
        ]
    }

    /// The submission of an opened modal with `values` typed into its inputs (block id → text; an empty text is
    /// sent as Slack sends an untouched optional input: `value: null`).
    package static func viewSubmission(_ opened: FakeSlackWebAPI.OpenedView, values: [String: String], user: String,
                                       team: String = team, appID: String = appID) -> [String: Any] {
        let view = (try? JSONSerialization.jsonObject(with: opened.view) as? [String: Any]) ?? [:]
        var state: [String: Any] = [:]
        for block in view["blocks"] as? [[String: Any]] ?? [] where block["type"] as? String == "input" {
            guard let blockID = block["block_id"] as? String, let element = block["element"] as? [String: Any],
                  let actionID = element["action_id"] as? String else { continue }
            let value: Any
            if let typed = values[blockID], !typed.isEmpty { value = typed } else { value = NSNull() }
            state[blockID] = [actionID: ["type": element["type"] ?? "plain_text_input", "value": value]]
        }
        return [
            "type": "view_submission",
            "team": ["id": team, "domain": "northwind"],
            "user": ["id": user, "username": "someone", "team_id": team],
            "api_app_id": appID, "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "0.0.0",
            "view": [
                "id": opened.viewID, "team_id": team, "type": "modal",
                "callback_id": view["callback_id"] ?? "", "private_metadata": view["private_metadata"] ?? "",
                "hash": "1699999999.abcdef", "blocks": view["blocks"] ?? [],
                "state": ["values": state],
            ],
            "response_urls": [Any](),
        ]
    }

    /// An interaction payload as the HTTP body Slack POSTs: one form field `payload` holding the JSON.
    package static func interactionBody(_ payload: [String: Any]) -> Data {
        let json = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data()
        return FakeSlackForm.encode([("payload", String(decoding: json, as: UTF8.self))])
    }

    /// The headers Slack signs a request with: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` under the signing secret.
    package static func signatureHeaders(body: Data, secret: String, timestamp: Int) -> [(String, String)] {
        var base = Data("v0:\(timestamp):".utf8)
        base.append(body)
        return [("X-Slack-Request-Timestamp", "\(timestamp)"),
                ("X-Slack-Signature", "v0=" + HMACSignature.hex(message: base, key: Data(secret.utf8)))]
    }
}
