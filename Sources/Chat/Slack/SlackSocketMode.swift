import Foundation

/// One text frame from a Socket Mode WebSocket (B8). Frames are authenticated by the socket itself.
package enum SocketModeFrame: Sendable, Equatable, Decodable {
    /// The first frame on a connection. `approximateConnectionTime` is seconds until Slack refreshes it.
    case hello(approximateConnectionTime: Int?, appID: String?)
    /// Slack will close (or has closed) this connection: `warning` (~10 s before), `refresh_requested`,
    /// `link_disabled` (Socket Mode turned off), … Open a replacement first. `reason` is "" when absent and cut to 80
    /// characters.
    case disconnect(reason: String)
    /// Something to acknowledge within ~3 s.
    case envelope(SocketModeEnvelope)
    /// Another frame type, cut to 80 characters: ignore it.
    case unknown(type: String)

    /// Decodes a frame's text. Only `type` is required, and for an envelope `envelope_id`: everything else is
    /// read leniently (a missing or mistyped optional field is absent), because a frame we refuse is one we cannot
    /// act on — a `hello` not seen keeps a replacement connection from taking over, an envelope not acknowledged is
    /// redelivered. An envelope's payload is decoded later, by its own decoder, which reports its problems.
    package static func decode(_ frame: Data) throws(SlackInboundError) -> SocketModeFrame {
        _ = try InboundJSON.parse(frame, what: "frame")
        return try SlackJSON.decode(SocketModeFrame.self, from: frame)
    }

    package init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        let type = try fields.string("type")
        switch type {
        case "hello":
            self = .hello(approximateConnectionTime: fields.lenient(DebugInfo.self, "debug_info")?.approximateConnectionTime,
                          appID: fields.lenient(ConnectionInfo.self, "connection_info")?.appID)
        case "disconnect":
            self = .disconnect(reason: SlackInboundError.safe((try? fields.optionalString("reason")) ?? ""))
        default:
            guard fields.keys.contains("envelope_id") else { self = .unknown(type: SlackInboundError.safe(type)); return }
            self = try .envelope(SocketModeEnvelope(
                envelopeID: fields.string("envelope_id"), type: SocketModeEnvelope.Kind(type),
                payload: (try? fields.optional(InboundJSON.self, "payload", expected: "JSON")) ?? .null,
                acceptsResponsePayload: (try? fields.optionalBool("accepts_response_payload")) ?? false,
                retryAttempt: try? fields.optionalInt("retry_attempt"),
                retryReason: try? fields.optionalString("retry_reason")))
        }
    }

    /// A `hello`'s `debug_info`, read leniently.
    struct DebugInfo: Decodable {
        let approximateConnectionTime: Int?
        init(from decoder: any Decoder) throws { approximateConnectionTime = try? SlackFields(decoder).optionalInt("approximate_connection_time") }
    }

    /// A `hello`'s `connection_info`, read leniently.
    struct ConnectionInfo: Decodable {
        let appID: String?
        init(from decoder: any Decoder) throws { appID = try? SlackFields(decoder).optionalID("app_id") }
    }

    /// Decodes a frame's text.
    package static func decode(text: String) throws(SlackInboundError) -> SocketModeFrame {
        try decode(Data(text.utf8))
    }

    /// The top-level `envelope_id` of a frame that cannot be decoded (over the size limit, broken JSON), found by one
    /// pass over its bytes that tracks nesting and strings and decodes nothing else — so such an envelope can still be
    /// acknowledged. Nil when there is none, or when it is not a plain id (letters, digits, `-`, `_`, `.`, `:`; at
    /// most 255): an id that could not be Slack's is not echoed back or logged.
    package static func envelopeID(inUnreadable text: String) -> String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var utf8 = text.utf8.makeIterator()
        var depth = 0
        var string: [UInt8] = []
        var key: [UInt8]?          // the last string read at the top level, until a `,`
        var wantValue = false      // a top-level `"envelope_id":` was just read
        let name = Array("envelope_id".utf8)
        while let byte = utf8.next() {
            switch byte {
            case quote:
                string.removeAll(keepingCapacity: true)
                var escaped = false
                while let next = utf8.next() {
                    if escaped { escaped = false; string.append(next); continue }
                    if next == backslash { escaped = true; string.append(next); continue }
                    if next == quote { break }
                    if depth == 1 && string.count <= 256 { string.append(next) }
                }
                guard depth == 1 else { continue }
                if wantValue {
                    let id = String(decoding: string, as: UTF8.self)
                    let allowed = id.utf8.allSatisfy { b in
                        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
                    }
                    return !id.isEmpty && id.utf8.count <= 255 && allowed ? id : nil
                }
                key = string
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if wantValue { return nil }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 { return nil }
            case UInt8(ascii: ":"):
                if depth == 1, key == name { wantValue = true }
            case UInt8(ascii: ","):
                key = nil
                if depth == 1 { wantValue = false }
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                break
            default:
                if wantValue && depth == 1 { return nil }   // a number, true, null…: not an id
            }
        }
        return nil
    }
}

/// A Socket Mode envelope: a slash command, an interaction or an Events API event, to acknowledge by `envelopeID`.
/// Any payload may arrive on any of the app's connections, and again after a retry: dedupe by `envelopeID`.
package struct SocketModeEnvelope: Sendable, Equatable {
    /// The envelope's `type`; a newer one keeps its name (cut to 80 characters).
    package enum Kind: Sendable, Equatable, CustomStringConvertible {
        /// Payload: `SlackSlashCommandRequest(payload:)`.
        case slashCommands
        /// Payload: `SlackInteraction(payload:)`.
        case interactive
        case eventsAPI
        case other(String)

        package init(_ raw: String) {
            switch raw {
            case "slash_commands": self = .slashCommands
            case "interactive": self = .interactive
            case "events_api": self = .eventsAPI
            default: self = .other(SlackInboundError.safe(raw))
            }
        }

        /// Slack's name for it.
        package var description: String {
            switch self {
            case .slashCommands: "slash_commands"
            case .interactive: "interactive"
            case .eventsAPI: "events_api"
            case .other(let raw): raw
            }
        }
    }

    package var envelopeID: String
    package var type: Kind
    /// `.null` when the frame had none.
    package var payload: InboundJSON
    /// True when the acknowledgement may carry a reply (slash commands, view submissions).
    package var acceptsResponsePayload: Bool
    /// Events API redeliveries only.
    package var retryAttempt: Int?
    package var retryReason: String?

    package init(envelopeID: String, type: Kind, payload: InboundJSON, acceptsResponsePayload: Bool,
                 retryAttempt: Int? = nil, retryReason: String? = nil) {
        self.envelopeID = envelopeID; self.type = type; self.payload = payload
        self.acceptsResponsePayload = acceptsResponsePayload; self.retryAttempt = retryAttempt; self.retryReason = retryReason
    }

    /// The payload as JSON bytes (keys sorted), to hand on.
    package var payloadData: Data { payload.data }

    /// This envelope's acknowledgement frame (`SlackSocketMode.acknowledgement`).
    package func acknowledgement(payload: JSONValue? = nil) -> String {
        SlackSocketMode.acknowledgement(envelopeID: envelopeID, payload: payload)
    }
}

/// What the bot sends on, and asks before opening, a Socket Mode connection.
package enum SlackSocketMode {
    /// The acknowledgement text frame: `{"envelope_id":"…"}`, or with `"payload":{…}` (a slash command's reply,
    /// a view submission's `response_action`). Send it within ~3 s of receiving the envelope.
    package static func acknowledgement(envelopeID: String, payload: JSONValue? = nil) -> String {
        var frame: [String: JSONValue] = ["envelope_id": .string(envelopeID)]
        if let payload { frame["payload"] = payload }
        // Encoding a JSONValue cannot fail: it holds only strings, integers, booleans, arrays and objects.
        return (try? JSONValue.encoded(.object(frame))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The WebSocket URL from an `apps.connections.open` answer (`{"ok":true,"url":"wss://…"}`). The URL holds a
    /// one-time ticket: never log it.
    package static func connectionURL(from answer: Data) throws(SlackInboundError) -> URL {
        _ = try InboundJSON.parse(answer, what: "apps.connections.open answer")
        let text = try SlackJSON.decode(ConnectionsOpenAnswer.self, from: answer).url
        guard let url = URL(string: text), url.scheme?.lowercased() == "wss", url.host?.isEmpty == false else {
            throw .invalidValue(field: "url", problem: "is not a wss:// URL")
        }
        return url
    }
}

/// An `apps.connections.open` answer: `ok`, then Slack's `error` or the `url`.
struct ConnectionsOpenAnswer: Decodable {
    let url: String
    init(from decoder: any Decoder) throws {
        let fields = try SlackFields(decoder)
        guard let ok = try fields.optionalBool("ok") else { throw SlackInboundError.missingField("ok") }
        guard ok else { throw SlackInboundError.apiError(method: "apps.connections.open", error: try fields.optionalString("error") ?? "unknown_error") }
        url = try fields.string("url")
    }
}
