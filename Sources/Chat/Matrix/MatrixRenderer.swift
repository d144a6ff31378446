import Core
import Foundation

/// Renders chat messages as Matrix `m.room.message` content: `m.notice` (bots' messages, which other bots do not
/// answer) with a readable plain `body` and an `org.matrix.custom.html` `formatted_body`.
///
/// Matrix has no buttons: the actions are shown as the commands and reactions that do them. Events must stay
/// under 65,536 bytes, so long resource lists are cut ("…and 37 more resources") and long texts shortened.
package enum MatrixRenderer {
    /// Resources listed before "…and N more resources".
    package static let maxResources = 25
    /// Longest text of any one field, in characters.
    package static let maxText = 4_000
    /// The reactions people can use on an alert, and what they do.
    package static let reactionHelp = "👀 acknowledge · ⬆️ escalate · ⏰ snooze · ✅ close"

    /// Largest content we send, in bytes of JSON: under the 65,536-byte event limit with room for the envelope.
    package static let maxContentBytes = 48_000

    /// The content of a message (`m.notice`). Rendered with tighter limits until it fits `maxContentBytes`.
    package static func content(_ message: ChatMessage) -> JSONValue {
        var limits = Limits.standard
        while true {
            let content = JSONValue.object([
                "msgtype": .string("m.notice"),
                "body": .string(plain(message, limits)),
                "format": .string("org.matrix.custom.html"),
                "formatted_body": .string(html(message, limits)),
            ])
            if limits.text <= 100 || ((try? JSONValue.encoded(content).count) ?? 0) <= maxContentBytes { return content }
            limits = Limits(text: limits.text / 2, resources: max(3, limits.resources / 2))
        }
    }

    /// How much of each text and how many resources are shown.
    struct Limits {
        var text: Int
        var resources: Int
        static let standard = Limits(text: maxText, resources: maxResources)
    }

    /// A short plain notice (thread lines, prompts, replies to commands).
    /// An `m.image` event for uploaded media: `body` is the caption (the spec's caption form, with `filename` set),
    /// `info` gives the type, size and dimensions clients use to lay it out before downloading.
    package static func image(_ image: ChatImage, caption: String, uri: String) -> JSONValue {
        .object([
            "msgtype": .string("m.image"), "body": .string(cut(caption + " — " + image.altText)), "filename": .string(image.filename),
            "url": .string(uri),
            "info": .object(["mimetype": .string(image.mimeType), "size": .int(image.data.count), "w": .int(image.width), "h": .int(image.height)]),
        ])
    }

    package static func notice(_ text: String) -> JSONValue {
        .object(["msgtype": .string("m.notice"), "body": .string(cut(text))])
    }

    package static func plain(_ message: ChatMessage) -> String { plain(message, .standard) }

    static func plain(_ message: ChatMessage, _ limits: Limits) -> String {
        func cut(_ text: String) -> String { Self.cut(text, limits.text) }
        let maxResources = limits.resources
        var lines: [String] = []
        if let body = message.body, message.severity != nil { lines.append(cut(body)) }
        lines.append((message.severity.map { "[\($0.label)] " } ?? "") + cut(message.title))
        for field in message.fields { lines.append("\(field.label): \(cut(field.value))") }
        if !message.resources.isEmpty {
            lines.append("Resources (\(message.resources.count)):")
            lines += message.resources.prefix(maxResources).map { "  • \(cut($0))" }
            if message.resources.count > maxResources { lines.append("  …and \(message.resources.count - maxResources) more resources") }
        }
        if let remediation = message.remediation { lines.append("Remediation: \(cut(remediation))") }
        if let actions = actionLine(message) { lines.append(actions) }
        if let body = message.body, message.severity == nil { lines.append(cut(body)) }
        return lines.joined(separator: "\n")
    }

    package static func html(_ message: ChatMessage) -> String { html(message, .standard) }

    static func html(_ message: ChatMessage, _ limits: Limits) -> String {
        func cut(_ text: String) -> String { Self.cut(text, limits.text) }
        let maxResources = limits.resources
        var parts: [String] = []
        if let body = message.body, message.severity != nil { parts.append("<p>\(escape(cut(body)))</p>") }
        let emoji = message.severity.map { "\(badge($0)) " } ?? ""
        parts.append("<p><strong>\(emoji)\(message.severity.map { "[\($0.label)] " } ?? "")\(escape(cut(message.title)))</strong></p>")
        if !message.fields.isEmpty {
            parts.append("<ul>" + message.fields.map { "<li><strong>\(escape($0.label)):</strong> \(escape(cut($0.value)))</li>" }.joined() + "</ul>")
        }
        if !message.resources.isEmpty {
            var items = message.resources.prefix(maxResources).map { "<li><code>\(escape(cut($0)))</code></li>" }
            if message.resources.count > maxResources { items.append("<li>…and \(message.resources.count - maxResources) more resources</li>") }
            parts.append("<p><strong>Resources (\(message.resources.count))</strong></p><ul>\(items.joined())</ul>")
        }
        if let remediation = message.remediation { parts.append("<p><strong>Remediation:</strong> \(escape(cut(remediation)))</p>") }
        if let actions = actionLine(message) { parts.append("<p><em>\(escape(actions))</em></p>") }
        if let body = message.body, message.severity == nil {
            parts.append("<pre>\(escape(cut(body)))</pre>")
        }
        return parts.joined()
    }

    /// "Reply in the thread: !soc2 ack · snooze 2d <why> · … — or react 👀 acknowledge · …".
    static func actionLine(_ message: ChatMessage) -> String? {
        guard let alert = message.alert, !message.actions.isEmpty else { return nil }
        let commands = message.actions.map { action -> String in
            switch action.kind {
            case .acknowledge: "ack"
            case .snooze: "snooze 2d <why>"
            case .escalate: "escalate [note]"
            case .close: "close <what was done> [link]"
            case .accept: "accept 30d <why>"
            case .evidence: "show"
            }
        }
        return "Reply in this alert's thread with !soc2 \(commands.joined(separator: " · ")) (or !soc2 <command> \(alert) anywhere) — or react: \(reactionHelp)"
    }

    static func badge(_ severity: Severity) -> String {
        switch severity {
        case .critical: "🔴"
        case .high: "🟠"
        case .medium: "🟡"
        case .low: "🔵"
        }
    }

    package static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func cut(_ text: String, _ limit: Int = maxText) -> String { text.count <= limit ? text : String(text.prefix(limit - 1)) + "…" }
}
