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

/// Block Kit's documented limits (docs.slack.dev/reference/block-kit). The renderer stays within them by
/// construction and `BlockKit.problems` checks any payload against them.
package enum BlockKitLimits {
    package static let blocksPerMessage = 50
    package static let headerText = 150
    package static let sectionText = 3_000
    package static let fieldsPerSection = 10
    package static let fieldText = 2_000
    package static let actionsElements = 25
    package static let contextElements = 10
    package static let buttonText = 75
    package static let buttonValue = 2_000
    package static let actionID = 255
    package static let overflowOptions = 5
    package static let optionText = 75
    package static let optionValue = 150
    /// `chat.postMessage` truncates the fallback `text` beyond this.
    package static let messageText = 40_000
}

/// Renders the neutral `ChatMessage` as a Slack message (`text` fallback + `blocks`), degrading gracefully where
/// content exceeds a limit: text is cut with "…", long resource lists end with "…and N more resources", and a
/// message that would exceed 50 blocks keeps its first 49 and says so. Pure: tested as values.
package enum BlockKit {
    /// `{"text": …, "blocks": […]}` for chat.postMessage / chat.update.
    package static func message(_ message: ChatMessage) -> JSONValue {
        var blocks: [JSONValue] = []
        let title = (message.severity.map { "\(emoji($0)) \($0.label): " } ?? "") + message.title
        blocks.append(header(title))
        if let body = message.body { blocks += chunks(body).map(section) }
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

    /// The thread reply for an update (who, what, when, why), as plain mrkdwn text.
    package static func threadReply(_ line: String) -> JSONValue {
        .object(["text": .string(cut(escape(line), BlockKitLimits.sectionText))])
    }

    /// Every limit `payload` breaks, empty when it is within them all.
    package static func problems(_ payload: JSONValue) -> [String] {
        var problems: [String] = []
        let blocks = payload["blocks"]?.arrayValue ?? []
        if blocks.count > BlockKitLimits.blocksPerMessage { problems.append("\(blocks.count) blocks > \(BlockKitLimits.blocksPerMessage)") }
        if (payload["text"]?.stringValue?.count ?? 0) > BlockKitLimits.messageText { problems.append("fallback text too long") }
        for (i, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "header":
                if (block["text"]?["text"]?.stringValue?.count ?? 0) > BlockKitLimits.headerText { problems.append("block \(i): header text > 150") }
            case "section":
                if (block["text"]?["text"]?.stringValue?.count ?? 0) > BlockKitLimits.sectionText { problems.append("block \(i): section text > 3000") }
                let fields = block["fields"]?.arrayValue ?? []
                if fields.count > BlockKitLimits.fieldsPerSection { problems.append("block \(i): \(fields.count) fields > 10") }
                if fields.contains(where: { ($0["text"]?.stringValue?.count ?? 0) > BlockKitLimits.fieldText }) { problems.append("block \(i): field text > 2000") }
                if block["text"] == nil && fields.isEmpty { problems.append("block \(i): section without text or fields") }
            case "actions":
                let elements = block["elements"]?.arrayValue ?? []
                if elements.isEmpty || elements.count > BlockKitLimits.actionsElements { problems.append("block \(i): \(elements.count) action elements") }
                for element in elements {
                    if (element["action_id"]?.stringValue?.count ?? 0) > BlockKitLimits.actionID { problems.append("block \(i): action_id > 255") }
                    if element["type"]?.stringValue == "button" {
                        if (element["text"]?["text"]?.stringValue?.count ?? 0) > BlockKitLimits.buttonText { problems.append("block \(i): button text > 75") }
                        if (element["value"]?.stringValue?.count ?? 0) > BlockKitLimits.buttonValue { problems.append("block \(i): button value > 2000") }
                    }
                    if element["type"]?.stringValue == "overflow" {
                        let options = element["options"]?.arrayValue ?? []
                        if options.count < 2 || options.count > BlockKitLimits.overflowOptions { problems.append("block \(i): overflow needs 2–5 options") }
                        if options.contains(where: { ($0["text"]?["text"]?.stringValue?.count ?? 0) > BlockKitLimits.optionText
                            || ($0["value"]?.stringValue?.count ?? 0) > BlockKitLimits.optionValue }) { problems.append("block \(i): overflow option too long") }
                    }
                }
            case "context":
                if (block["elements"]?.arrayValue?.count ?? 0) > BlockKitLimits.contextElements { problems.append("block \(i): context > 10 elements") }
            default:
                problems.append("block \(i): unknown type \(block["type"]?.stringValue ?? "nil")")
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
            if text.count + line.count + (rest > 1 ? tail.count : 0) > BlockKitLimits.sectionText {
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
        guard escaped.count > BlockKitLimits.sectionText else { return [escaped] }
        var result: [String] = []
        var current = ""
        for line in escaped.split(separator: "\n", omittingEmptySubsequences: false) {
            if current.count + line.count + 1 > BlockKitLimits.sectionText, !current.isEmpty {
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

    /// `text` cut to `limit` characters, ending in "…" when cut.
    package static func cut(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
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
