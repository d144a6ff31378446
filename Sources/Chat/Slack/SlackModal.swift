import Core
import Foundation

/// The modals behind Snooze…, Accept risk… and Close… (B4): the view to open with `views.open`, and the validation
/// of its `view_submission` into a neutral decision or per-block errors for `response_action: errors`.
///
/// The view carries the alert id, the version the person saw and the message the click came from in
/// `private_metadata`, so the submission needs no server-side session. Block and action ids are stable
/// (`duration`, `rationale`, `remediation`, `link`; each block's one element has its block's id as `action_id`).
package enum SlackModal {
    /// The alert message a modal was opened from, for updating it afterwards.
    package struct Origin: Codable, Sendable, Equatable {
        package var channel: String
        package var ts: String
        package init(channel: String, ts: String) { self.channel = channel; self.ts = ts }
    }

    /// Block ids (each also the `action_id` of the block's element).
    package enum Block {
        package static let duration = "duration"
        package static let rationale = "rationale"
        package static let remediation = "remediation"
        package static let link = "link"
    }

    /// Longest snooze and longest risk acceptance: 366 days, so a yearly review cannot be skipped.
    package static let maxSnooze: TimeInterval = 366 * 86_400
    package static let maxAcceptance: TimeInterval = 366 * 86_400
    /// Slack's limits for modal views (docs.slack.dev/reference/views, plain-text input element).
    package static let titleLimit = 24
    package static let buttonLimit = 24
    package static let privateMetadataLimit = 3_000
    package static let textInputLimit = 3_000
    /// A duration is a few characters (`1d 12h`); the cap keeps a pasted essay out of the parser.
    package static let durationInputLimit = 32

    /// The kinds that open a modal: the ones that need a reason or evidence.
    package static let kinds: Set<ChatAction.Kind> = [.snooze, .accept, .close]

    /// `soc2.<kind>`: tells the submission which modal it is.
    package static func callbackID(_ kind: ChatAction.Kind) -> String { "soc2.\(kind.rawValue)" }

    /// The `view` for `views.open` (type `modal`), or nil for a kind that needs no modal (acknowledge, escalate,
    /// evidence). The origin is dropped from `private_metadata` if it is empty or would not fit in Slack's 3000
    /// characters.
    package static func view(for action: ChatAction, alertTitle: String, origin: (channel: String, ts: String)?) -> JSONValue? {
        let title: String, submit: String, note: String, inputs: [JSONValue]
        switch action.kind {
        case .snooze:
            title = "Snooze \(action.alert)"
            submit = "Snooze"
            note = "The alert is silenced until the snooze ends, then fires again if the control still fails. The rationale is recorded as evidence."
            inputs = [durationInput(label: "Snooze for"),
                      textInput(Block.rationale, label: "Rationale", placeholder: "Why it can wait, e.g. waiting for the vendor's fix")]
        case .accept:
            title = "Accept risk \(action.alert)"
            submit = "Accept risk"
            note = "Accepting a risk is recorded as evidence and expires; the alert fires again afterwards if the control still fails."
            inputs = [durationInput(label: "Accept until, from now"),
                      textInput(Block.rationale, label: "Rationale", placeholder: "Why the risk is acceptable, e.g. a compensating control")]
        case .close:
            title = "Close \(action.alert)"
            submit = "Close alert"
            note = "The remediation and link are recorded as evidence. If the control still fails at its next run, a new alert opens."
            inputs = [textInput(Block.remediation, label: "Remediation", placeholder: "What was done, e.g. disabled the account in GitHub"),
                      .object(["type": .string("input"), "block_id": .string(Block.link), "optional": .bool(true),
                               "label": plain("Evidence link"),
                               "hint": plain("A ticket, pull request or runbook (http or https)."),
                               "element": .object(["type": .string("url_text_input"), "action_id": .string(Block.link),
                                                   "placeholder": plain("https://tickets.example/OPS-12")])])]
        case .acknowledge, .escalate, .evidence:
            return nil
        }
        let summary = JSONValue.object(["type": .string("section"), "text": .object([
            "type": .string("mrkdwn"),
            "text": .string(BlockKit.cut("*\(action.alert)* · \(BlockKit.escape(alertTitle))", BlockKitLimits.sectionText)),
        ])])
        let context = JSONValue.object(["type": .string("context"), "elements": .array([.object(["type": .string("mrkdwn"), "text": .string(note)])])])
        return .object([
            "type": .string("modal"),
            "callback_id": .string(callbackID(action.kind)),
            "private_metadata": .string(metadata(for: action, origin: origin)),
            "title": plain(BlockKit.cut(title, titleLimit)),
            "submit": plain(BlockKit.cut(submit, buttonLimit)),
            "close": plain("Cancel"),
            "blocks": .array([summary] + inputs + [context]),
        ])
    }

    /// Validates a submitted modal. Input problems come back as `[block_id: message]` for
    /// `errorsResponse`; a view whose `callback_id` or `private_metadata` is not one we built is `.metadata`.
    /// Text is trimmed; an empty link is no link.
    package static func submission(_ s: SlackViewSubmission) -> Result<ModalDecision, ModalErrors> {
        let meta: Metadata
        switch decodeMetadata(s) {
        case .success(let m): meta = m
        case .failure(let error): return .failure(error)
        }
        func text(_ block: String) -> String {
            (s.values[block]?[block] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var errors: [String: String] = [:]
        func duration(limit: TimeInterval) -> TimeInterval? {
            let raw = text(Block.duration)
            guard !raw.isEmpty else { errors[Block.duration] = "Enter a duration such as 4h, 2d or 1w."; return nil }
            let reading = raw.count <= durationInputLimit ? DurationText.read(raw) : .failure(.malformed)
            if reading == .failure(.outOfRange) { errors[Block.duration] = "At most \(Int(limit / 86_400)) days."; return nil }
            guard case .success(let seconds) = reading else {
                errors[Block.duration] = "“\(SlackInboundError.safe(String(raw.prefix(40))))” is not a duration such as 4h, 2d or 1w."
                return nil
            }
            guard seconds <= limit else { errors[Block.duration] = "At most \(Int(limit / 86_400)) days."; return nil }
            return seconds
        }
        func required(_ block: String, _ missing: String) -> String? {
            let value = text(block)
            guard !value.isEmpty else { errors[block] = missing; return nil }
            guard value.count <= textInputLimit else { errors[block] = "At most \(textInputLimit) characters."; return nil }
            return value
        }

        let choice: ModalDecision.Choice?
        switch meta.kind {
        case .snooze, .accept:
            let seconds = duration(limit: meta.kind == .snooze ? maxSnooze : maxAcceptance)
            let rationale = required(Block.rationale, meta.kind == .snooze ? "Say why it can wait." : "Say why the risk is acceptable.")
            if let seconds, let rationale {
                choice = meta.kind == .snooze ? .snooze(duration: seconds, rationale: rationale) : .accept(duration: seconds, rationale: rationale)
            } else {
                choice = nil
            }
        case .close:
            let remediation = required(Block.remediation, "Describe what was done.")
            let rawLink = text(Block.link)
            var link: String?
            if !rawLink.isEmpty {
                if isWebLink(rawLink) { link = rawLink } else { errors[Block.link] = "Enter an http(s) link, or leave it empty." }
            }
            choice = remediation.flatMap { errors[Block.link] == nil ? .close(remediation: $0, link: link) : nil }
        case .acknowledge, .escalate, .evidence:
            return .failure(.metadata("callback_id names no modal"))
        }
        guard let choice, errors.isEmpty else { return .failure(.fields(errors)) }
        return .success(ModalDecision(alert: AlertID(meta.alert), version: meta.version, origin: meta.origin, choice: choice))
    }

    /// The answer to a `view_submission` that keeps the modal open and shows each message under its block.
    package static func errorsResponse(_ errors: [String: String]) -> JSONValue {
        .object(["response_action": .string("errors"), "errors": .object(errors.mapValues(JSONValue.string))])
    }

    // MARK: Pieces

    /// What `private_metadata` holds, with one-letter keys: `{"a":7,"c":"C…","k":"snooze","t":"17….0001","v":4}`.
    struct Metadata: Codable, Equatable {
        var k: String
        var a: Int64
        var v: Int
        var c: String?
        var t: String?

        var kind: ChatAction.Kind { ChatAction.Kind(rawValue: k) ?? .evidence }
        var alert: Int64 { a }
        var version: Int { v }
        var origin: Origin? { c.flatMap { channel in t.map { Origin(channel: channel, ts: $0) } } }
    }

    /// An origin with an empty channel or ts is no origin.
    static func metadata(for action: ChatAction, origin: (channel: String, ts: String)?) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func encoded(_ m: Metadata) -> String { (try? encoder.encode(m)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        let origin = origin.flatMap { $0.channel.isEmpty || $0.ts.isEmpty ? nil : $0 }
        let full = encoded(Metadata(k: action.kind.rawValue, a: action.alert.rawValue, v: action.version, c: origin?.channel, t: origin?.ts))
        if full.count <= privateMetadataLimit { return full }
        return encoded(Metadata(k: action.kind.rawValue, a: action.alert.rawValue, v: action.version))
    }

    private static func decodeMetadata(_ s: SlackViewSubmission) -> Result<Metadata, ModalErrors> {
        guard s.callbackID.hasPrefix("soc2."), let kind = ChatAction.Kind(rawValue: String(s.callbackID.dropFirst(5))), kinds.contains(kind) else {
            return .failure(.metadata("callback_id is not one of this bot's modals"))
        }
        let raw = Data(s.privateMetadata.utf8)
        guard !raw.isEmpty else { return .failure(.metadata("private_metadata is empty")) }
        guard s.privateMetadata.count <= privateMetadataLimit, !InboundJSON.exceedsDepth(raw, limit: 4),
              let meta = try? JSONDecoder().decode(Metadata.self, from: raw) else {
            return .failure(.metadata("private_metadata is not this bot's"))
        }
        guard meta.k == kind.rawValue else { return .failure(.metadata("private_metadata is for another modal")) }
        guard meta.a > 0, meta.v > 0 else { return .failure(.metadata("private_metadata names no alert version")) }
        guard (meta.c == nil) == (meta.t == nil), meta.c?.isEmpty != true, meta.t?.isEmpty != true else {
            return .failure(.metadata("private_metadata has half an origin"))
        }
        return .success(meta)
    }

    private static func plain(_ text: String) -> JSONValue {
        .object(["type": .string("plain_text"), "text": .string(text)])
    }

    private static func durationInput(label: String) -> JSONValue {
        .object(["type": .string("input"), "block_id": .string(Block.duration), "label": plain(label),
                 "hint": plain("e.g. 4h, 2d, 1w"),
                 "element": .object(["type": .string("plain_text_input"), "action_id": .string(Block.duration),
                                     "max_length": .int(durationInputLimit), "placeholder": plain("4h, 2d or 1w")])])
    }

    private static func textInput(_ block: String, label: String, placeholder: String) -> JSONValue {
        .object(["type": .string("input"), "block_id": .string(block), "label": plain(label),
                 "element": .object(["type": .string("plain_text_input"), "action_id": .string(block), "multiline": .bool(true),
                                     "max_length": .int(textInputLimit), "placeholder": plain(placeholder)])])
    }

    /// An absolute http(s) URL with a host and no spaces.
    static func isWebLink(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace), text.count <= textInputLimit,
              let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty else { return false }
        return true
    }
}

/// What a valid modal submission decided, platform-neutral: the engine applies it like the typed command.
package struct ModalDecision: Sendable, Equatable {
    package enum Choice: Sendable, Equatable {
        /// Seconds from now, and why.
        case snooze(duration: TimeInterval, rationale: String)
        case accept(duration: TimeInterval, rationale: String)
        case close(remediation: String, link: String?)
    }

    package var alert: AlertID
    /// The alert version the person saw when opening the modal; the engine refuses a stale one.
    package var version: Int
    /// The message the modal was opened from, when known.
    package var origin: SlackModal.Origin?
    package var choice: Choice

    package init(alert: AlertID, version: Int, origin: SlackModal.Origin?, choice: Choice) {
        self.alert = alert; self.version = version; self.origin = origin; self.choice = choice
    }

    /// The same decision as the command a person could have typed.
    package var command: SlashCommand {
        switch choice {
        case .snooze(let duration, let rationale): .snooze(alert, duration: duration, rationale: rationale)
        case .accept(let duration, let rationale): .accept(alert, duration: duration, rationale: rationale)
        case .close(let remediation, let link): .close(alert, remediation: remediation, link: link)
        }
    }
}

/// Why a modal submission was refused.
package enum ModalErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// Input problems, `[block_id: message]`: answer with `SlackModal.errorsResponse` so the person can fix them.
    case fields([String: String])
    /// The view is not one this bot built (unknown `callback_id`, garbled or forged `private_metadata`).
    case metadata(String)

    package var description: String {
        switch self {
        case .fields(let errors):
            "modal input refused: " + errors.keys.sorted().map { "\(SlackInboundError.safe($0)): \(errors[$0] ?? "")" }.joined(separator: "; ")
        case .metadata(let problem): "modal submission refused: \(problem)"
        }
    }
}
