import Core
import Foundation

/// A platform-neutral message. Slack renders it as Block Kit, Matrix as HTML, the terminal as text.
package struct ChatMessage: Codable, Sendable, Equatable {
    /// A labelled value: `Control: offboarding-sla (CC6.2)`.
    package struct Field: Codable, Sendable, Equatable {
        package var label: String
        package var value: String
        package init(_ label: String, _ value: String) { self.label = label; self.value = value }
    }

    package var severity: Severity?
    /// One line: what happened.
    package var title: String
    package var fields: [Field]
    /// Affected resources, one per line; renderers cut long lists ("…and 37 more resources").
    package var resources: [String]
    package var remediation: String?
    package var actions: [ChatAction]
    /// For updates: the line added to the alert's thread (who, what, when, why).
    package var threadLine: String?
    /// For updates: also tell the channel (a re-fired alert), not only the thread.
    package var broadcast: Bool
    /// Free text body (command replies, help).
    package var body: String?
    /// The alert this message is about, if any.
    package var alert: AlertID?
    /// A picture the bot drew (the digest's trend chart): uploaded to the platform and shown with `title` as its
    /// caption. A message with an image carries nothing else.
    package var image: ChatImage?
    /// What a direct or bot-raised message is for, where it matters to how it is shown or handled (nil: an alert's
    /// channel message, a reply, a digest).
    package var purpose: Purpose?

    package enum Purpose: String, Codable, Sendable {
        /// An alert escalated to the recipient.
        case escalation
        /// A deadline coming up (training, a policy attestation, manual evidence).
        case reminder
        /// A message the bot could not deliver for good, raised to the security leads. One that cannot be delivered
        /// either raises nothing more.
        case undelivered

        /// How the terminal labels it.
        package var label: String {
            switch self {
            case .escalation: "escalation"
            case .reminder: "reminder"
            case .undelivered: "undelivered message"
            }
        }
    }

    /// For a reply (`DeliveryKind.reply`): the message it answers, so the platform shows the answer with it.
    package var replyTo: ReplyTarget?

    package init(severity: Severity? = nil, title: String, fields: [Field] = [], resources: [String] = [],
                 remediation: String? = nil, actions: [ChatAction] = [], threadLine: String? = nil,
                 broadcast: Bool = false, body: String? = nil, alert: AlertID? = nil, image: ChatImage? = nil,
                 purpose: Purpose? = nil, replyTo: ReplyTarget? = nil) {
        self.severity = severity; self.title = title; self.fields = fields; self.resources = resources
        self.remediation = remediation; self.actions = actions; self.threadLine = threadLine
        self.broadcast = broadcast; self.body = body; self.alert = alert; self.image = image; self.purpose = purpose
        self.replyTo = replyTo
    }

    /// What a reply answers, in the platform's own ids. Matrix shows it as a rich reply (`m.in_reply_to` the
    /// message) in the thread, mentioning the people.
    package struct ReplyTarget: Codable, Sendable, Equatable {
        /// The message answered (Matrix event id).
        package var message: String
        /// The root of the thread the answer goes in, if any (Matrix: the alert's event).
        package var thread: String?
        /// Chat user ids to mention.
        package var mentions: [String]
        package init(message: String, thread: String? = nil, mentions: [String] = []) {
            self.message = message; self.thread = thread; self.mentions = mentions
        }
    }

    /// A plain text reply.
    package static func text(_ title: String, body: String? = nil) -> ChatMessage {
        ChatMessage(title: title, body: body)
    }
}

/// A button (or menu entry) on an alert message. Carries ids and the version seen, never state.
package struct ChatAction: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable, CaseIterable {
        case acknowledge, snooze, escalate, close, accept, evidence
        /// Button text.
        package var label: String {
            switch self {
            case .acknowledge: "Acknowledge"
            case .snooze: "Snooze…"
            case .escalate: "Escalate"
            case .close: "Close…"
            case .accept: "Accept risk…"
            case .evidence: "View evidence"
            }
        }
        /// The command a person types for it on surfaces without buttons.
        package var command: String {
            switch self {
            case .acknowledge: "ack"
            case .snooze: "snooze"
            case .escalate: "escalate"
            case .close: "close"
            case .accept: "accept"
            case .evidence: "show"
            }
        }
    }
    package var kind: Kind
    package var alert: AlertID
    package var version: Int
    package init(kind: Kind, alert: AlertID, version: Int) { self.kind = kind; self.alert = alert; self.version = version }

    /// Stable action id for interactive payloads: `soc2.<kind>.<alert>.<version>`.
    package var actionID: String { "soc2.\(kind.rawValue).\(alert.rawValue).\(version)" }
    /// Only the canonical form parses: no empty segments, no signs or leading zeros, alert and version above 0.
    package init?(actionID: String) {
        let parts = actionID.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "soc2", let kind = Kind(rawValue: String(parts[1])),
              let alert = Int64(parts[2]), alert > 0, let version = Int(parts[3]), version > 0 else { return nil }
        self.init(kind: kind, alert: AlertID(alert), version: version)
        guard self.actionID == actionID else { return nil }
    }
}

/// An image to post: the bytes (kept in the outbox until delivered), their type and size, and the text that stands
/// for it for screen readers and on surfaces that show no pictures.
package struct ChatImage: Codable, Sendable, Equatable {
    package var filename: String
    package var mimeType: String
    package var data: Data
    package var width: Int
    package var height: Int
    package var altText: String

    package init(filename: String, mimeType: String = "image/png", data: Data, width: Int, height: Int, altText: String) {
        self.filename = filename; self.mimeType = mimeType; self.data = data; self.width = width; self.height = height; self.altText = altText
    }

    /// Writes the image into `directory` (created if missing) under its filename; the file written.
    package func save(in directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(filename)
        try data.write(to: file, options: .atomic)
        return file
    }
}
