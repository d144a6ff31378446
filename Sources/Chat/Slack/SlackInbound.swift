import Core
import Foundation

// Slack's inbound wire format (PROTOCOLS.md B2–B4, B8), decoded into typed values. Pure: no IO, no clock.
// HTTP bodies must pass `SlackRequestVerifier` before they reach anything here; Socket Mode frames are
// authenticated by their socket.

/// Why an inbound Slack body could not be decoded. Descriptions are safe to log: they name fields and limits,
/// never a token, a secret or a body, and any echoed text is cut to 80 characters with control characters removed.
package enum SlackInboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body (or a field in it) is larger than we accept.
    case tooLarge(what: String, bytes: Int, limit: Int)
    /// A `%` not followed by two hex digits in a form body, at this byte offset.
    case malformedPercentEscape(offset: Int)
    /// A form field's name or value does not decode to UTF-8.
    case invalidUTF8(field: String)
    /// A form field appears twice. Slack never sends duplicates; refusing them avoids two readers disagreeing.
    case duplicateField(String)
    /// The text is not JSON (`what` says which: `payload`, `frame`, …).
    case malformedJSON(what: String)
    /// JSON nested deeper than `limit` arrays/objects.
    case tooDeeplyNested(what: String, limit: Int)
    /// A required field is absent or null; `field` is its dotted path (`view.state.values`).
    case missingField(String)
    /// A field has the wrong JSON type.
    case wrongType(field: String, expected: String)
    /// A text field is longer than we accept, in characters.
    case tooLong(field: String, limit: Int)
    /// A field is present but its value makes no sense (`url` is not a `wss://` URL).
    case invalidValue(field: String, problem: String)
    /// A Web API answer with `ok: false`; `error` is Slack's error code.
    case apiError(method: String, error: String)

    package var description: String {
        switch self {
        case .tooLarge(let what, let bytes, let limit): "\(Self.safe(what)) is \(bytes) bytes (limit \(limit))"
        case .malformedPercentEscape(let offset): "form body: malformed percent escape at byte \(offset)"
        case .invalidUTF8(let field): "form field `\(Self.safe(field))` is not valid UTF-8"
        case .duplicateField(let field): "form field `\(Self.safe(field))` appears more than once"
        case .malformedJSON(let what): "\(Self.safe(what)) is not valid JSON"
        case .tooDeeplyNested(let what, let limit): "\(Self.safe(what)) nests deeper than \(limit) levels"
        case .missingField(let field): "missing required field `\(Self.safe(field))`"
        case .wrongType(let field, let expected): "field `\(Self.safe(field))` is not \(expected)"
        case .tooLong(let field, let limit): "field `\(Self.safe(field))` is longer than \(limit) characters"
        case .invalidValue(let field, let problem): "field `\(Self.safe(field))` \(Self.safe(problem))"
        case .apiError(let method, let error): "Slack \(Self.safe(method)): \(Self.safe(error))"
        }
    }

    /// `text` without control characters, cut to 80 characters: what an error may echo.
    static func safe(_ text: String) -> String {
        let clean = String(text.unicodeScalars.filter { !$0.properties.generalCategory.isControlLike })
        return clean.count <= 80 ? clean : String(clean.prefix(79)) + "…"
    }
}

extension Unicode.GeneralCategory {
    /// Control, format (bidi overrides, zero-width), separators other than space, unassigned and private use:
    /// nothing a log line should carry from a payload.
    fileprivate var isControlLike: Bool {
        switch self {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: true
        default: false
        }
    }
}

/// What we accept from Slack before decoding anything. Slack's own limits are far below these (a view is at most
/// 250 kB, a message 50 blocks), so only a broken or hostile sender reaches them.
package enum SlackInboundLimits {
    /// Largest HTTP body or Socket Mode frame, in bytes.
    package static let bodyBytes = 2 * 1_024 * 1_024
    /// Deepest JSON nesting (arrays and objects). Slack's payloads stay under 20; the cap keeps decoding's
    /// recursion bounded whatever arrives.
    package static let jsonDepth = 64
    /// Longest slash-command `text`, in characters (Slack's message text limit).
    package static let commandText = 40_000
}

// MARK: - Form bodies

/// `application/x-www-form-urlencoded` bodies (slash commands, and interactivity's single `payload` field).
package enum SlackForm {
    /// The fields of a form body. `+` is a space, `%XY` a byte; names and values must be UTF-8.
    /// Empty segments (`a=1&&b=2`) and segments with an empty name are skipped; a segment without `=` is a field
    /// with an empty value. A name that appears twice is an error (`duplicateField`): Slack never repeats one, and
    /// "first wins" versus "last wins" is exactly where two parsers of one signed body could disagree.
    /// An empty body is an empty form.
    package static func fields(_ body: Data) throws(SlackInboundError) -> [String: String] {
        guard body.count <= SlackInboundLimits.bodyBytes else {
            throw .tooLarge(what: "form body", bytes: body.count, limit: SlackInboundLimits.bodyBytes)
        }
        var fields: [String: String] = [:]
        let bytes = [UInt8](body)
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
            defer { start = end + 1 }
            guard end > start else { continue }
            let segment = start..<end
            let equals = bytes[segment].firstIndex(of: UInt8(ascii: "="))
            let nameBytes = try decodeComponent(bytes, start..<(equals ?? end))
            guard !nameBytes.isEmpty else { continue }
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw .invalidUTF8(field: "(name)") }
            var valueBytes: [UInt8] = []
            if let equals { valueBytes = try decodeComponent(bytes, (equals + 1)..<end) }
            guard let value = String(validating: valueBytes, as: UTF8.self) else { throw .invalidUTF8(field: name) }
            guard fields[name] == nil else { throw .duplicateField(name) }
            fields[name] = value
        }
        return fields
    }

    /// One name or value: `+` → space, `%XY` → the byte 0xXY.
    private static func decodeComponent(_ bytes: [UInt8], _ range: Range<Int>) throws(SlackInboundError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            switch bytes[i] {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < range.upperBound, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                    throw .malformedPercentEscape(offset: i)
                }
                out.append(high << 4 | low)
                i += 3
            default:
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

// MARK: - JSON

/// Any JSON value as received (null and non-integral numbers included, unlike the outbound `JSONValue`).
/// Decoded with a nesting cap (`SlackInboundLimits.jsonDepth`) checked before parsing, so recursion stays bounded.
package indirect enum InboundJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([InboundJSON])
    case object([String: InboundJSON])

    /// Parses `data`; `what` names it in errors (`payload`, `frame`).
    package static func parse(_ data: Data, what: String) throws(SlackInboundError) -> InboundJSON {
        guard data.count <= SlackInboundLimits.bodyBytes else {
            throw .tooLarge(what: what, bytes: data.count, limit: SlackInboundLimits.bodyBytes)
        }
        guard !exceedsDepth(data, limit: SlackInboundLimits.jsonDepth) else {
            throw .tooDeeplyNested(what: what, limit: SlackInboundLimits.jsonDepth)
        }
        do {
            return try JSONDecoder().decode(InboundJSON.self, from: data)
        } catch {
            throw .malformedJSON(what: what)
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Most common first: each failed guess costs a thrown DecodingError.
        if container.decodeNil() { self = .null; return }
        if let string = try? container.decode(String.self) { self = .string(string); return }
        if let object = try? container.decode([String: InboundJSON].self) { self = .object(object); return }
        if let array = try? container.decode([InboundJSON].self) { self = .array(array); return }
        if let bool = try? container.decode(Bool.self) { self = .bool(bool); return }
        self = .number(try container.decode(Double.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    /// Compact JSON text (keys sorted), e.g. to hand an envelope's payload on as bytes.
    package var data: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    package subscript(key: String) -> InboundJSON? { if case .object(let o) = self { o[key] } else { nil } }
    package var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    /// True when `data` opens more than `limit` arrays/objects at once (strings, and escapes in them, skipped).
    static func exceedsDepth(_ data: Data, limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}

// MARK: - Codable payloads

extension CodingUserInfoKey {
    /// The dotted path of the decoded value inside what Slack sent (`payload` for a Socket Mode slash command), which
    /// field names in errors start with.
    static let slackRootPath = CodingUserInfoKey(rawValue: "soc2bot.slack.rootPath")!
}

/// Slack's JSON payloads decode as `Decodable` types (`SlackInteraction`, `SlackSlashCommandRequest`,
/// `SocketModeFrame`, …) whose `init(from:)` read their fields through `SlackFields`, so a malformed payload is refused
/// with a `SlackInboundError` naming the field by its dotted path (`view.state.values`, `actions[0].action_id`).
/// Unknown fields are ignored; a field read leniently (`Lenient`) counts as absent when it has another type.
enum SlackJSON {
    /// `T` from `json`, already parsed within `SlackInboundLimits`; `root` is the path field names start with.
    static func decode<T: Decodable>(_ type: T.Type, from json: InboundJSON, root: String = "") throws(SlackInboundError) -> T {
        try decode(type, from: json.data, root: root)
    }

    /// `T` from `data`, which `InboundJSON.parse` accepted (size, nesting, syntax).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, root: String = "") throws(SlackInboundError) -> T {
        let decoder = JSONDecoder()
        decoder.userInfo[.slackRootPath] = root
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as SlackInboundError {
            throw error
        } catch {
            // Every type read here maps its own problems; this is only the syntax `parse` already checked.
            throw .malformedJSON(what: root.isEmpty ? "payload" : root)
        }
    }
}

/// Any key of a JSON object.
struct SlackKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A JSON object being decoded, with the dotted path that errors name: each read says what type it expects, and a
/// field that is absent or null where one is required is `missingField`, one of another type `wrongType`.
struct SlackFields {
    let container: KeyedDecodingContainer<SlackKey>
    /// The object's path; "" at the top level.
    let path: String

    init(_ decoder: any Decoder) throws(SlackInboundError) {
        path = Self.path(of: decoder)
        do { container = try decoder.container(keyedBy: SlackKey.self) } catch {
            throw .wrongType(field: path.isEmpty ? "(top level)" : path, expected: "an object")
        }
    }

    /// The dotted path of what `decoder` decodes: object keys joined by `.`, array elements as `[i]`.
    static func path(of decoder: any Decoder) -> String {
        var path = decoder.userInfo[.slackRootPath] as? String ?? ""
        for key in decoder.codingPath {
            // Object keys are `SlackKey`s, which have no integer value: a key with one is an array element's.
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The keys present (null ones included).
    var keys: [String] { container.allKeys.map(\.stringValue) }

    /// Whether `key` is present and not null.
    func has(_ key: String) -> Bool { container.contains(SlackKey(key)) && ((try? container.decodeNil(forKey: SlackKey(key))) == false) }

    /// The value at `key` as `T`, nil when absent or null; `expected` names `T` in the error when it is of another type.
    /// A value whose own decoding refused a field deeper down passes that refusal on.
    func optional<T: Decodable>(_ type: T.Type, _ key: String, expected: String) throws(SlackInboundError) -> T? {
        do {
            return try container.decodeIfPresent(T.self, forKey: SlackKey(key))
        } catch let error as SlackInboundError {
            throw error
        } catch {
            throw .wrongType(field: name(key), expected: expected)
        }
    }

    func required<T: Decodable>(_ type: T.Type, _ key: String, expected: String) throws(SlackInboundError) -> T {
        guard let value = try optional(type, key, expected: expected) else { throw .missingField(name(key)) }
        return value
    }

    func string(_ key: String) throws(SlackInboundError) -> String { try required(String.self, key, expected: "a string") }
    func optionalString(_ key: String) throws(SlackInboundError) -> String? { try optional(String.self, key, expected: "a string") }

    /// An optional id: absent, null and "" are all nil.
    func optionalID(_ key: String) throws(SlackInboundError) -> String? {
        try optionalString(key).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A required id: absent, null and "" are all missing.
    func id(_ key: String) throws(SlackInboundError) -> String {
        guard let value = try optionalID(key) else { throw .missingField(name(key)) }
        return value
    }

    func object<T: Decodable>(_ type: T.Type, _ key: String) throws(SlackInboundError) -> T { try required(type, key, expected: "an object") }
    func optionalObject<T: Decodable>(_ type: T.Type, _ key: String) throws(SlackInboundError) -> T? { try optional(type, key, expected: "an object") }
    func array<T: Decodable>(_ type: T.Type, _ key: String) throws(SlackInboundError) -> [T] { try required(SlackList<T>.self, key, expected: "an array").items }
    /// An object whose keys are ids (`view.state.values`): each value a `T`, read as an object.
    func map<T: Decodable>(_ type: T.Type, _ key: String) throws(SlackInboundError) -> [String: T]? { try optional(SlackMap<T>.self, key, expected: "an object")?.entries }
    func optionalBool(_ key: String) throws(SlackInboundError) -> Bool? { try optional(Bool.self, key, expected: "a boolean") }

    func optionalInt(_ key: String) throws(SlackInboundError) -> Int? {
        guard let n = try optional(Double.self, key, expected: "an integer") else { return nil }
        guard n.rounded() == n, abs(n) < 1e15 else { throw .wrongType(field: name(key), expected: "an integer") }
        return Int(n)
    }

    /// The value at `key` when present and of type `T`, else nil: for fields read leniently.
    func lenient<T: Decodable>(_ type: T.Type, _ key: String) -> T? { container.lenient(type, SlackKey(key)) }
}

/// A JSON array of objects; a null element is refused like any non-object (`actions[1]` is not an object).
struct SlackList<T: Decodable>: Decodable {
    let items: [T]
    init(from decoder: any Decoder) throws {
        let path = SlackFields.path(of: decoder)
        var container = try decoder.unkeyedContainer()
        var items: [T] = []
        while !container.isAtEnd {
            if try container.decodeNil() { throw SlackInboundError.wrongType(field: "\(path)[\(items.count)]", expected: "an object") }
            items.append(try container.decode(T.self))
        }
        self.items = items
    }
}

/// A JSON object whose keys are ids, each value a `T` read as an object (null refused as not one).
struct SlackMap<T: Decodable>: Decodable {
    let entries: [String: T]
    init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        var entries: [String: T] = [:]
        for key in fields.keys {
            guard fields.has(key) else { throw SlackInboundError.wrongType(field: fields.name(key), expected: "an object") }
            entries[key] = try fields.object(T.self, key)
        }
        self.entries = entries
    }
}

/// An object read for one string field (`user.id`, `team.id`, `channel.id`, `message.ts`); its other fields ignored.
struct SlackRef<Key: SlackRefKey>: Decodable {
    /// Nil when the field may be absent and is.
    let value: String?
    init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        switch Key.rule {
        case .required: value = try fields.string(Key.name)
        case .id: value = try fields.optionalID(Key.name)
        case .string: value = try fields.optionalString(Key.name)
        }
    }
}

/// How a `SlackRef`'s field is read.
enum SlackRefRule { case required, id, string }
protocol SlackRefKey { static var name: String { get }; static var rule: SlackRefRule { get } }
/// `user.id`, `team.id`: required when the object is there.
enum RequiredID: SlackRefKey { static let name = "id"; static let rule = SlackRefRule.required }
/// `channel.id`, `view.id`: an optional id ("" is none).
enum OptionalID: SlackRefKey { static let name = "id"; static let rule = SlackRefRule.id }
/// `message.ts`: an optional id.
enum OptionalTS: SlackRefKey { static let name = "ts"; static let rule = SlackRefRule.id }
/// `selected_option.value`: an optional string.
enum OptionalValue: SlackRefKey { static let name = "value"; static let rule = SlackRefRule.string }

// MARK: - Slash commands

/// A `/soc2 …` invocation (B2): from an HTTP form body or a Socket Mode `slash_commands` envelope's payload.
/// The deprecated `token`, `user_name`, `team_domain` and `channel_name` are ignored: ids only.
package struct SlackSlashCommandRequest: Sendable, Equatable, Decodable {
    package var teamID: String
    /// Absent in some older payloads.
    package var apiAppID: String?
    /// Only for Enterprise Grid workspaces; nil when absent or empty.
    package var enterpriseID: String?
    package var channelID: String
    package var userID: String
    /// The command as typed, `/soc2`.
    package var command: String
    /// Everything after the command; "" when the person typed only the command (also when the field is absent).
    /// At most `SlackInboundLimits.commandText` characters.
    package var text: String
    /// Where to POST up to 5 replies within 30 minutes.
    package var responseURL: String
    /// Opens a modal within 3 s, once.
    package var triggerID: String

    package init(teamID: String, apiAppID: String? = nil, enterpriseID: String? = nil, channelID: String, userID: String,
                 command: String = "/soc2", text: String, responseURL: String, triggerID: String) {
        self.teamID = teamID; self.apiAppID = apiAppID; self.enterpriseID = enterpriseID; self.channelID = channelID
        self.userID = userID; self.command = command; self.text = text; self.responseURL = responseURL; self.triggerID = triggerID
    }

    /// From an HTTP body (`application/x-www-form-urlencoded`), after its signature was verified.
    package init(formBody: Data) throws(SlackInboundError) {
        try self.init(form: SlackForm.fields(formBody))
    }

    /// From decoded form fields.
    package init(form: [String: String]) throws(SlackInboundError) {
        func required(_ key: String) throws(SlackInboundError) -> String {
            guard let value = form[key], !value.isEmpty else { throw .missingField(key) }
            return value
        }
        func optional(_ key: String) -> String? { form[key].flatMap { $0.isEmpty ? nil : $0 } }
        try self.init(teamID: required("team_id"), apiAppID: optional("api_app_id"), enterpriseID: optional("enterprise_id"),
                      channelID: required("channel_id"), userID: required("user_id"), command: required("command"),
                      text: Self.checkedText(form["text"] ?? ""), responseURL: required("response_url"), triggerID: required("trigger_id"))
    }

    /// From a Socket Mode `slash_commands` envelope's `payload` (the same fields as a JSON object).
    package init(payload: InboundJSON) throws(SlackInboundError) {
        self = try SlackJSON.decode(Self.self, from: payload, root: "payload")
    }

    /// The same fields as a JSON object; fields named from `payload`.
    package init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        try self.init(teamID: fields.id("team_id"), apiAppID: fields.optionalID("api_app_id"), enterpriseID: fields.optionalID("enterprise_id"),
                      channelID: fields.id("channel_id"), userID: fields.id("user_id"), command: fields.id("command"),
                      text: Self.checkedText(fields.optionalString("text") ?? ""), responseURL: fields.id("response_url"),
                      triggerID: fields.id("trigger_id"))
    }

    /// The text parsed by the one command grammar.
    package var parsed: Result<SlashCommand, CommandError> { SlashCommand.parse(text) }

    private static func checkedText(_ text: String) throws(SlackInboundError) -> String {
        guard text.count <= SlackInboundLimits.commandText else { throw .tooLong(field: "text", limit: SlackInboundLimits.commandText) }
        return text
    }
}

// MARK: - Interactions

/// An interaction payload (B3, B4): an HTTP body's `payload` field, or a Socket Mode `interactive` envelope's payload.
package enum SlackInteraction: Sendable, Equatable, Decodable {
    case blockActions(SlackBlockActions)
    case viewSubmission(SlackViewSubmission)
    /// Only sent for views opened with `notify_on_close` (ours are not).
    case viewClosed(SlackViewClosed)
    /// Shortcuts, `block_suggestion` and future types: acknowledge and ignore. `type` is cut to 80 characters.
    case unsupported(type: String)

    /// From an HTTP body: a form whose single `payload` field holds the JSON.
    package init(formBody: Data) throws(SlackInboundError) {
        let form = try SlackForm.fields(formBody)
        guard let payload = form["payload"], !payload.isEmpty else { throw .missingField("payload") }
        let data = Data(payload.utf8)
        _ = try InboundJSON.parse(data, what: "payload")
        self = try SlackJSON.decode(Self.self, from: data)
    }

    /// From the payload's JSON object (a Socket Mode envelope's `payload`, or the form's parsed `payload`).
    package init(payload: InboundJSON) throws(SlackInboundError) {
        self = try SlackJSON.decode(Self.self, from: payload)
    }

    package init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        let type = try fields.string("type")
        switch type {
        case "block_actions": self = try .blockActions(SlackBlockActions(fields))
        case "view_submission": self = try .viewSubmission(SlackViewSubmission(fields))
        case "view_closed": self = try .viewClosed(SlackViewClosed(fields))
        default: self = .unsupported(type: SlackInboundError.safe(type))
        }
    }
}

extension SlackFields {
    /// The `team.id` of an interaction: nil when the app is org-installed (Slack sends `team: null`).
    func teamID() throws(SlackInboundError) -> String? {
        try optionalObject(SlackRef<RequiredID>.self, "team")?.value
    }

    /// The `user.id` of an interaction.
    func userID() throws(SlackInboundError) -> String {
        // Required when `user` is there, so never nil.
        try object(SlackRef<RequiredID>.self, "user").value ?? ""
    }
}

/// A click on a button or a choice in a menu of a message (or a view): `block_actions`.
package struct SlackBlockActions: Sendable, Equatable {
    /// One interacted element. Slack sends one per payload today; the array allows more.
    package struct Action: Sendable, Equatable, Decodable {
        package var actionID: String
        package var blockID: String
        /// Slack's time of the click, `"1548426417.840180"`; with the user and `action_id`, the idempotency key.
        package var actionTS: String
        /// The element type: `button`, `overflow`, `static_select`, …
        package var type: String
        /// A button's `value`.
        package var value: String?
        /// An overflow's or select's `selected_option.value` (nil when an option was deselected).
        package var selectedOption: String?

        package init(actionID: String, blockID: String, actionTS: String, type: String, value: String? = nil, selectedOption: String? = nil) {
            self.actionID = actionID; self.blockID = blockID; self.actionTS = actionTS; self.type = type
            self.value = value; self.selectedOption = selectedOption
        }

        package init(from decoder: any Decoder) throws {
            let fields = try SlackFields(decoder)
            try self.init(actionID: fields.string("action_id"), blockID: fields.string("block_id"), actionTS: fields.string("action_ts"),
                          type: fields.string("type"), value: fields.optionalString("value"),
                          selectedOption: fields.optionalObject(SlackRef<OptionalValue>.self, "selected_option")?.value)
        }

        /// The alert action clicked: a button's `action_id` (`soc2.<kind>.<alert>.<version>`), or for the alert's
        /// overflow menu (`action_id` `soc2.more.<alert>`, see `BlockKit`) the chosen option's value, which must name
        /// the same alert. Nil for anything else.
        package var chatAction: ChatAction? {
            if let action = ChatAction(actionID: actionID) { return action }
            guard let option = selectedOption, let action = ChatAction(actionID: option) else { return nil }
            let menuPrefix = "soc2.more."
            if actionID.hasPrefix(menuPrefix) {
                guard actionID.dropFirst(menuPrefix.count) == String(action.alert.rawValue) else { return nil }
            }
            return action
        }
    }

    /// Nil when the app is org-installed.
    package var teamID: String?
    package var apiAppID: String
    package var userID: String
    /// Opens a modal within 3 s, once.
    package var triggerID: String
    /// Where to POST a reply or replacement (valid 30 min); absent for actions in modals.
    package var responseURL: String?
    /// The channel of the message the action was on (`container.channel_id`, else `channel.id`).
    package var channelID: String?
    /// The message's ts (`container.message_ts`, else `message.ts`), for `chat.update`.
    package var messageTS: String?
    /// The view, for actions inside a modal (`container.view_id`, else `view.id`).
    package var viewID: String?
    package var actions: [Action]

    package init(teamID: String?, apiAppID: String, userID: String, triggerID: String, responseURL: String? = nil,
                 channelID: String? = nil, messageTS: String? = nil, viewID: String? = nil, actions: [Action]) {
        self.teamID = teamID; self.apiAppID = apiAppID; self.userID = userID; self.triggerID = triggerID
        self.responseURL = responseURL; self.channelID = channelID; self.messageTS = messageTS; self.viewID = viewID
        self.actions = actions
    }

    /// Where the action was (`container`): the ids it names.
    struct Container: Decodable {
        let channelID: String?, messageTS: String?, viewID: String?
        init(from decoder: any Decoder) throws {
            let fields = try SlackFields(decoder)
            channelID = try fields.optionalID("channel_id"); messageTS = try fields.optionalID("message_ts"); viewID = try fields.optionalID("view_id")
        }
    }

    init(_ fields: SlackFields) throws(SlackInboundError) {
        let container = try fields.optionalObject(Container.self, "container")
        // `container.<key>`, else `<object>.<objectKey>`: the object is read only when the container does not say.
        var channelID = container?.channelID, messageTS = container?.messageTS, viewID = container?.viewID
        if channelID == nil { channelID = try fields.optionalObject(SlackRef<OptionalID>.self, "channel")?.value }
        if messageTS == nil { messageTS = try fields.optionalObject(SlackRef<OptionalTS>.self, "message")?.value }
        if viewID == nil { viewID = try fields.optionalObject(SlackRef<OptionalID>.self, "view")?.value }
        let actions = try fields.array(Action.self, "actions")
        try self.init(teamID: fields.teamID(), apiAppID: fields.string("api_app_id"), userID: fields.userID(),
                      triggerID: fields.string("trigger_id"), responseURL: fields.optionalID("response_url"),
                      channelID: channelID, messageTS: messageTS, viewID: viewID, actions: actions)
    }
}

/// A submitted modal: `view_submission`. Answer within 3 s (see `SlackModal`).
package struct SlackViewSubmission: Sendable, Equatable {
    /// Nil when the app is org-installed.
    package var teamID: String?
    package var apiAppID: String
    package var userID: String
    package var viewID: String
    /// Which modal: `soc2.snooze`, `soc2.close`, `soc2.accept`.
    package var callbackID: String
    /// What we stored when opening the view; "" when none.
    package var privateMetadata: String
    /// `view.state.values` flattened to `[block_id: [action_id: text]]`: `value` for text, url, email and number
    /// inputs; `selected_option.value` for selects and radio buttons; `selected_date`, `selected_time`,
    /// `selected_user`, `selected_conversation`, `selected_channel` as sent; `selected_date_time` as Unix seconds;
    /// multi-selects and checkboxes as their values joined by ",". An element with no value (null, or nothing
    /// chosen) is absent from its block.
    package var values: [String: [String: String]]

    package init(teamID: String?, apiAppID: String, userID: String, viewID: String, callbackID: String,
                 privateMetadata: String = "", values: [String: [String: String]]) {
        self.teamID = teamID; self.apiAppID = apiAppID; self.userID = userID; self.viewID = viewID
        self.callbackID = callbackID; self.privateMetadata = privateMetadata; self.values = values
    }

    /// The submitted view: its ids, what we stored, and its inputs' state.
    struct View: Decodable {
        let id: String, callbackID: String, privateMetadata: String?
        let values: [String: [String: Input]]?
        init(from decoder: any Decoder) throws {
            let fields = try SlackFields(decoder)
            values = try fields.optionalObject(State.self, "state")?.values
            id = try fields.string("id"); callbackID = try fields.string("callback_id"); privateMetadata = try fields.optionalString("private_metadata")
        }
    }

    /// `view.state`: `values` by block id, then by action id.
    struct State: Decodable {
        let values: [String: [String: Input]]?
        init(from decoder: any Decoder) throws {
            values = try SlackFields(decoder).map(SlackMap<Input>.self, "values")?.mapValues(\.entries)
        }
    }

    /// An input element's state as one string (see `values`); nil when it has no value.
    struct Input: Decodable {
        let text: String?
        init(from decoder: any Decoder) throws {
            let element = try SlackFields(decoder)
            text = try Self.text(of: element)
        }

        private static func text(of element: SlackFields) throws(SlackInboundError) -> String? {
            if let value = try element.optional(InboundJSON.self, "value", expected: "a string") {
                switch value {
                case .string(let s): return s
                case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
                default: throw .wrongType(field: element.name("value"), expected: "a string")
                }
            }
            if element.has("selected_option") { return try element.optionalObject(SlackRef<OptionalValue>.self, "selected_option")?.value }
            for key in ["selected_date", "selected_time", "selected_user", "selected_conversation", "selected_channel"] {
                if let s = try element.optionalString(key) { return s }
            }
            if let seconds = try element.optionalInt("selected_date_time") { return String(seconds) }
            for key in ["selected_options", "selected_users", "selected_conversations", "selected_channels"] where element.has(key) {
                let parts = try element.array(Choice.self, key).map(\.value)
                return parts.isEmpty ? nil : parts.joined(separator: ",")
            }
            return nil
        }
    }

    /// One chosen item of a multi-select: a string (users, conversations), or an option object's `value`.
    struct Choice: Decodable {
        let value: String
        init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
                value = text
                return
            }
            let fields = try SlackFields(decoder)
            guard let value = try fields.optionalString("value") else { throw SlackInboundError.missingField(fields.name("value")) }
            self.value = value
        }
    }

    init(_ fields: SlackFields) throws(SlackInboundError) {
        let view = try fields.object(View.self, "view")
        try self.init(teamID: fields.teamID(), apiAppID: fields.string("api_app_id"), userID: fields.userID(),
                      viewID: view.id, callbackID: view.callbackID,
                      privateMetadata: view.privateMetadata ?? "", values: (view.values ?? [:]).mapValues { $0.compactMapValues(\.text) })
    }
}

/// A modal dismissed with its close button: `view_closed` (only for views opened with `notify_on_close`).
package struct SlackViewClosed: Sendable, Equatable {
    package var teamID: String?
    package var userID: String
    package var viewID: String
    package var callbackID: String

    package init(teamID: String?, userID: String, viewID: String, callbackID: String) {
        self.teamID = teamID; self.userID = userID; self.viewID = viewID; self.callbackID = callbackID
    }

    /// The closed view's ids.
    struct View: Decodable {
        let id: String, callbackID: String?
        init(from decoder: any Decoder) throws {
            let fields = try SlackFields(decoder)
            id = try fields.string("id"); callbackID = try fields.optionalString("callback_id")
        }
    }

    init(_ fields: SlackFields) throws(SlackInboundError) {
        let view = try fields.object(View.self, "view")
        try self.init(teamID: fields.teamID(), userID: fields.userID(), viewID: view.id, callbackID: view.callbackID ?? "")
    }
}

// MARK: - Replies

/// Messages sent back in answer to an inbound request.
package enum SlackReply {
    /// A reply only the invoking person sees: the slash command's HTTP answer (or Socket Mode ack payload), or a
    /// POST to `response_url`. `replace_original: false` keeps an interaction's source message in place.
    package static func ephemeral(_ message: ChatMessage) -> JSONValue {
        var reply = BlockKit.sendable(message).payload.objectValue
        reply["response_type"] = .string("ephemeral")
        reply["replace_original"] = .bool(false)
        return .object(reply)
    }
}
