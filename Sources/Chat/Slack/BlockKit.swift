import Core
import Foundation

/// A JSON value for Block Kit payloads.
package indirect enum JSONValue: Encodable, Equatable, Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let i): try container.encode(i)
        case .bool(let b): try container.encode(b)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    package subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }
    package var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    package var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The dictionary of an object (empty otherwise), for adding fields to a payload.
    package var objectValue: [String: JSONValue] { if case .object(let o) = self { o } else { [:] } }

    /// Compact JSON with sorted keys (stable bytes for tests and signatures).
    package static func encoded(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// Block Kit's documented limits (docs.slack.dev/reference/block-kit), in characters as Slack counts them (see
/// `BlockKit.length`). The renderer stays within them by construction and `BlockKit.problems` checks any payload
/// against them before it is sent.
package enum BlockKitLimits {
    package static let blocksPerMessage = 50
    package static let blockID = 255
    package static let headerText = 150
    package static let sectionText = 3_000
    package static let fieldsPerSection = 10
    package static let fieldText = 2_000
    package static let actionsElements = 25
    package static let contextElements = 10
    /// Any text object (a context element's text, for one).
    package static let textObject = 3_000
    package static let buttonText = 75
    package static let buttonValue = 2_000
    package static let buttonURL = 3_000
    package static let accessibilityLabel = 75
    package static let actionID = 255
    package static let overflowOptions = 5
    package static let optionText = 75
    package static let optionValue = 150
    package static let confirmTitle = 100
    package static let confirmText = 300
    package static let confirmButton = 30
    package static let imageURL = 3_000
    package static let imageAltText = 2_000
    /// `chat.postMessage` truncates the fallback `text` beyond this (and `chat.update` refuses it: `msg_too_long`).
    package static let messageText = 40_000
}

/// Renders the neutral `ChatMessage` as a Slack message (`text` fallback + `blocks`), degrading gracefully where
/// content exceeds a limit: text is cut with "…", long resource lists end with "…and N more resources", and a
/// message that would exceed 50 blocks keeps its first 49 and says so. Pure: tested as values.
///
/// Lengths are counted as Slack counts them: its limits are in characters as slack_sdk counts them (Unicode code
/// points), and Slack's servers count UTF-16 units for some fields. A UTF-16 count is never below the code-point
/// count, so text within the limit in UTF-16 units is within it both ways. Text is cut between grapheme clusters,
/// so a cut never splits a surrogate pair, an emoji sequence (ZWJ) or a character from its variation selector.
package enum BlockKit {
    /// `{"text": …, "blocks": […]}` for chat.postMessage / chat.update.
    package static func message(_ message: ChatMessage) -> JSONValue {
        var blocks: [JSONValue] = []
        let title = (message.severity.map { "\(emoji($0)) \($0.label): " } ?? "") + message.title
        blocks.append(header(title))
        if let body = message.body, !body.isEmpty { blocks += chunks(body).map(section) }
        for group in stride(from: 0, to: message.fields.count, by: BlockKitLimits.fieldsPerSection) {
            let fields = message.fields[group..<min(group + BlockKitLimits.fieldsPerSection, message.fields.count)]
            blocks.append(.object(["type": .string("section"), "fields": .array(fields.map { field in
                mrkdwn(cut("*\(escape(field.label))*\n\(escape(field.value))", BlockKitLimits.fieldText))
            })]))
        }
        if !message.resources.isEmpty { blocks.append(section(resourceList(message.resources))) }
        if let remediation = message.remediation { blocks.append(section("*Remediation*\n" + escape(remediation))) }
        if !message.actions.isEmpty { blocks.append(actions(message.actions)) }
        if blocks.count > BlockKitLimits.blocksPerMessage {
            blocks = Array(blocks.prefix(BlockKitLimits.blocksPerMessage - 1))
            blocks.append(.object(["type": .string("context"), "elements": .array([mrkdwn("…message shortened to fit Slack's 50-block limit")])]))
        }
        let fallback = cut(title + (message.alert.map { " (\($0))" } ?? ""), BlockKitLimits.messageText)
        return .object(["text": .string(fallback), "blocks": .array(blocks)])
    }

    /// The message as plain mrkdwn text without blocks (`{"text": …}`), cut to Slack's 40,000-character limit: what
    /// is posted when Slack refuses the blocks, so the message still arrives. The buttons become the commands a person
    /// types instead.
    package static func plainText(_ message: ChatMessage) -> JSONValue {
        var lines = [(message.severity.map { "\(emoji($0)) \($0.label): " } ?? "") + "*\(escape(message.title))*"]
        if let body = message.body { lines.append(escape(body)) }
        lines += message.fields.map { "*\(escape($0.label))*: \(escape($0.value))" }
        if !message.resources.isEmpty {
            lines.append("*Resources (\(message.resources.count))*")
            lines += message.resources.map { "• " + escape($0) }
        }
        if let remediation = message.remediation { lines.append("*Remediation*: " + escape(remediation)) }
        if let alert = message.alert, !message.actions.isEmpty {
            lines.append("Act with " + message.actions.map { "`/soc2 \($0.kind.command) \(alert)`" }.joined(separator: " · "))
        }
        return .object(["text": .string(cut(lines.joined(separator: "\n"), BlockKitLimits.messageText))])
    }

    /// What to send for `message`: its Block Kit rendering when that is within every limit `problems` checks, else
    /// the plain-text rendering (with the problems found), so a message is never refused for its blocks.
    package static func sendable(_ message: ChatMessage) -> (payload: JSONValue, problems: [String]) {
        let rendered = Self.message(message)
        let problems = problems(rendered)
        return problems.isEmpty ? (rendered, []) : (plainText(message), problems)
    }

    /// The thread reply for an update (who, what, when, why), as plain mrkdwn text.
    package static func threadReply(_ line: String) -> JSONValue {
        .object(["text": .string(cut(escape(line), BlockKitLimits.sectionText))])
    }

    /// The length of `text` as Slack's limits count it: UTF-16 units, which are never fewer than code points.
    package static func length(_ text: String) -> Int { text.utf16.count }

    /// Every limit `payload` breaks, empty when it is within them all: the blocks Slack accepts in a message
    /// (header, section, actions, context, divider, image) and their elements (buttons, overflow menus, text objects,
    /// confirmation dialogs, images).
    package static func problems(_ payload: JSONValue) -> [String] {
        var problems: [String] = []
        func tooLong(_ value: JSONValue?, _ limit: Int, _ what: String, at place: String, required: Bool = false) {
            guard let text = value?.stringValue else {
                if required { problems.append("\(place): \(what) missing") }
                return
            }
            if length(text) > limit { problems.append("\(place): \(what) > \(limit) (\(length(text)))") }
            if required && text.isEmpty { problems.append("\(place): \(what) empty") }
        }
        /// A text object: `plain_text` or `mrkdwn` (or only `plain_text` where Slack says so), not empty, within `limit`.
        func textObject(_ value: JSONValue?, _ limit: Int, _ what: String, at place: String, plainOnly: Bool = false) {
            guard let value else { problems.append("\(place): \(what) missing"); return }
            let type = value["type"]?.stringValue
            if type != "plain_text" && (plainOnly || type != "mrkdwn") {
                problems.append("\(place): \(what) must be \(plainOnly ? "plain_text" : "plain_text or mrkdwn"), not \(type ?? "nil")")
            }
            tooLong(value["text"], limit, what, at: place, required: true)
        }
        func confirm(_ dialog: JSONValue?, at place: String) {
            guard let dialog else { return }
            textObject(dialog["title"], BlockKitLimits.confirmTitle, "confirm title", at: place, plainOnly: true)
            textObject(dialog["text"], BlockKitLimits.confirmText, "confirm text", at: place)
            textObject(dialog["confirm"], BlockKitLimits.confirmButton, "confirm button", at: place, plainOnly: true)
            textObject(dialog["deny"], BlockKitLimits.confirmButton, "deny button", at: place, plainOnly: true)
        }
        /// An interactive element (a section's accessory, an actions block's element).
        func element(_ element: JSONValue, at place: String) {
            tooLong(element["action_id"], BlockKitLimits.actionID, "action_id", at: place)
            switch element["type"]?.stringValue {
            case "button":
                textObject(element["text"], BlockKitLimits.buttonText, "button text", at: place, plainOnly: true)
                tooLong(element["value"], BlockKitLimits.buttonValue, "button value", at: place)
                tooLong(element["url"], BlockKitLimits.buttonURL, "button url", at: place)
                tooLong(element["accessibility_label"], BlockKitLimits.accessibilityLabel, "accessibility_label", at: place)
                if let style = element["style"]?.stringValue, style != "primary", style != "danger" {
                    problems.append("\(place): button style \(style)")
                }
                confirm(element["confirm"], at: place)
            case "overflow":
                let options = element["options"]?.arrayValue ?? []
                if options.count < 2 || options.count > BlockKitLimits.overflowOptions { problems.append("\(place): overflow needs 2–5 options, has \(options.count)") }
                for option in options {
                    textObject(option["text"], BlockKitLimits.optionText, "option text", at: place, plainOnly: true)
                    tooLong(option["value"], BlockKitLimits.optionValue, "option value", at: place, required: true)
                }
                confirm(element["confirm"], at: place)
            case "image":
                tooLong(element["image_url"], BlockKitLimits.imageURL, "image_url", at: place, required: true)
                tooLong(element["alt_text"], BlockKitLimits.imageAltText, "alt_text", at: place, required: true)
            default:
                problems.append("\(place): element type \(element["type"]?.stringValue ?? "nil") is not one the bot sends")
            }
        }

        let blocks = payload["blocks"]?.arrayValue ?? []
        if blocks.count > BlockKitLimits.blocksPerMessage { problems.append("\(blocks.count) blocks > \(BlockKitLimits.blocksPerMessage)") }
        tooLong(payload["text"], BlockKitLimits.messageText, "fallback text", at: "message")
        var blockIDs = Set<String>()
        for (i, block) in blocks.enumerated() {
            let place = "block \(i)"
            if let id = block["block_id"]?.stringValue {
                tooLong(block["block_id"], BlockKitLimits.blockID, "block_id", at: place)
                if !blockIDs.insert(id).inserted { problems.append("\(place): block_id \(id) repeated") }
            }
            switch block["type"]?.stringValue {
            case "header":
                textObject(block["text"], BlockKitLimits.headerText, "header text", at: place, plainOnly: true)
            case "section":
                let fields = block["fields"]?.arrayValue ?? []
                if block["text"] == nil && fields.isEmpty { problems.append("\(place): section without text or fields") }
                if block["text"] != nil { textObject(block["text"], BlockKitLimits.sectionText, "section text", at: place) }
                if fields.count > BlockKitLimits.fieldsPerSection { problems.append("\(place): \(fields.count) fields > \(BlockKitLimits.fieldsPerSection)") }
                for field in fields { textObject(field, BlockKitLimits.fieldText, "field text", at: place) }
                if let accessory = block["accessory"] { element(accessory, at: place) }
            case "actions":
                let elements = block["elements"]?.arrayValue ?? []
                if elements.isEmpty || elements.count > BlockKitLimits.actionsElements {
                    problems.append("\(place): \(elements.count) action elements (1–\(BlockKitLimits.actionsElements))")
                }
                var actionIDs = Set<String>()
                for item in elements {
                    element(item, at: place)
                    if let id = item["action_id"]?.stringValue, !actionIDs.insert(id).inserted { problems.append("\(place): action_id \(id) repeated") }
                }
            case "context":
                let elements = block["elements"]?.arrayValue ?? []
                if elements.isEmpty || elements.count > BlockKitLimits.contextElements {
                    problems.append("\(place): \(elements.count) context elements (1–\(BlockKitLimits.contextElements))")
                }
                for item in elements {
                    if item["type"]?.stringValue == "image" { element(item, at: place) } else { textObject(item, BlockKitLimits.textObject, "context text", at: place) }
                }
            case "divider":
                break
            case "image":
                tooLong(block["image_url"], BlockKitLimits.imageURL, "image_url", at: place, required: true)
                tooLong(block["alt_text"], BlockKitLimits.imageAltText, "alt_text", at: place, required: true)
                if block["title"] != nil { textObject(block["title"], BlockKitLimits.imageAltText, "image title", at: place, plainOnly: true) }
            default:
                problems.append("\(place): unknown type \(block["type"]?.stringValue ?? "nil")")
            }
        }
        return problems
    }

    // MARK: Pieces

    private static func header(_ text: String) -> JSONValue {
        .object(["type": .string("header"), "text": .object(["type": .string("plain_text"), "text": .string(cut(text, BlockKitLimits.headerText)), "emoji": .bool(true)])])
    }

    private static func section(_ text: String) -> JSONValue {
        .object(["type": .string("section"), "text": mrkdwn(cut(text, BlockKitLimits.sectionText))])
    }

    private static func mrkdwn(_ text: String) -> JSONValue {
        .object(["type": .string("mrkdwn"), "text": .string(text)])
    }

    /// As many resources as fit in one section, then "…and N more resources".
    private static func resourceList(_ resources: [String]) -> String {
        var text = "*Resources (\(resources.count))*"
        for (i, resource) in resources.enumerated() {
            let line = "\n• " + cut(escape(resource), 300)
            let rest = resources.count - i
            let tail = "\n…and \(rest) more resources"
            if length(text) + length(line) + (rest > 1 ? length(tail) : 0) > BlockKitLimits.sectionText {
                return text + tail
            }
            text += line
        }
        return text
    }

    /// Buttons for the primary actions; accept risk and evidence in an overflow menu (at least two options).
    private static func actions(_ actions: [ChatAction]) -> JSONValue {
        let inOverflow: Set<ChatAction.Kind> = [.accept, .evidence]
        var elements: [JSONValue] = actions.filter { !inOverflow.contains($0.kind) }.prefix(BlockKitLimits.actionsElements - 1).map { action in
            var button: [String: JSONValue] = [
                "type": .string("button"), "action_id": .string(action.actionID), "value": .string(action.actionID),
                "text": .object(["type": .string("plain_text"), "text": .string(cut(action.kind.label, BlockKitLimits.buttonText))]),
            ]
            if action.kind == .acknowledge { button["style"] = .string("primary") }
            return .object(button)
        }
        let overflow = actions.filter { inOverflow.contains($0.kind) }
        let options = overflow.map { action in
            JSONValue.object(["text": .object(["type": .string("plain_text"), "text": .string(cut(action.kind.label, BlockKitLimits.optionText))]),
                              "value": .string(cut(action.actionID, BlockKitLimits.optionValue))])
        }
        if options.count >= 2 {
            elements.append(.object(["type": .string("overflow"), "action_id": .string("soc2.more.\(overflow[0].alert.rawValue)"),
                                     "options": .array(Array(options.prefix(BlockKitLimits.overflowOptions)))]))
        } else if let single = overflow.first {
            elements.append(.object(["type": .string("button"), "action_id": .string(single.actionID), "value": .string(single.actionID),
                                     "text": .object(["type": .string("plain_text"), "text": .string(single.kind.label)])]))
        }
        return .object(["type": .string("actions"), "elements": .array(elements)])
    }

    /// Splits long text into section-sized chunks on line boundaries where possible.
    private static func chunks(_ text: String) -> [String] {
        let escaped = escape(text)
        guard length(escaped) > BlockKitLimits.sectionText else { return [escaped] }
        var result: [String] = []
        var current = ""
        for line in escaped.split(separator: "\n", omittingEmptySubsequences: false) {
            if length(current) + length(String(line)) + 1 > BlockKitLimits.sectionText, !current.isEmpty {
                result.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : "\n") + line
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Slack mrkdwn control characters (`&`, `<`, `>`) escaped, so alert content cannot inject mentions or links.
    package static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// `text` cut to at most `limit` characters as Slack counts them (`length`), ending in "…" when cut. Cut between
    /// grapheme clusters: never inside a surrogate pair, an emoji ZWJ sequence or before a variation selector or
    /// skin-tone modifier, which would leave half a character (a cluster longer than the room left is dropped whole).
    package static func cut(_ text: String, _ limit: Int) -> String {
        guard length(text) > limit else { return text }
        let room = limit - length("…")
        var kept = 0
        var end = text.startIndex
        for index in text.indices {
            let next = text.index(after: index)
            let size = text.utf16.distance(from: index, to: next)
            if kept + size > room { break }
            kept += size
            end = next
        }
        return String(text[..<end]) + "…"
    }

    private static func emoji(_ severity: Severity) -> String {
        switch severity {
        case .critical: "🔴"
        case .high: "🟠"
        case .medium: "🟡"
        case .low: "🔵"
        }
    }
}
