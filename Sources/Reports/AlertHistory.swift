import Chat
import Core
import Foundation
import Store

/// One alert with its full history from the evidence ledger (`/soc2 show A-3`).
package enum AlertHistory {
    package static func message(_ alert: Alert, store: any LedgerRepository, topLevel: Int) throws -> ChatMessage {
        var message = AlertMessage.render(alert, topLevel: topLevel)
        let lines = try store.evidence(subject: alert.id.description).compactMap { entry -> String? in
            guard let object = try JSONSerialization.jsonObject(with: entry) as? [String: Any],
                  let kind = object["kind"] as? String, let at = object["at"] as? String,
                  let data = object["data"] as? [String: Any] else { return nil }
            let when = TimeText.parse(at).map(TimeText.human) ?? at
            switch kind {
            case "alert_opened":
                return "\(when) · opened (episode \(data["episode"] ?? 1))"
            case "alert_transition":
                let reason = (data["reason"] as? String).map { " — \($0)" } ?? ""
                return "\(when) · \(data["actor"] ?? "?") \(data["action"] ?? "?"): \(data["from"] ?? "?") → \(data["to"] ?? "?")\(reason)"
            case "human_action" where data["action"] as? String == "note" && data["outcome"] as? String == "done":
                let link = (data["link"] as? String).map { " (\($0))" } ?? ""
                return "\(when) · \(data["actor"] ?? "?") noted: \(data["reason"] ?? "")\(link)"
            case "human_action" where (data["outcome"] as? String) != "done":
                return "\(when) · \(data["actor"] ?? "?") tried \(data["action"] ?? "?") via \(data["surface"] ?? "?"): \(data["outcome"] ?? "?")"
            case "chat_delivery":
                return "\(when) · delivered \(data["kind"] ?? "") to \(data["destination"] ?? "")"
            default:
                return nil
            }
        }
        message.body = (["History:"] + lines.map { "  " + $0 }).joined(separator: "\n")
        return message
    }
}
