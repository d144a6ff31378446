import Foundation

/// A room event from a `/sync` timeline (client-server API v3, "Room events"): its id, sender, type, when the
/// sender's server received it and the content fields the bot reads. Only `event_id` is required; a field missing or
/// of another type is nil, and the inbound handler ignores such an event (after marking it seen).
package struct MatrixRoomEvent: Decodable, Sendable, Equatable {
    package var eventID: String
    package var sender: String?
    /// `m.room.message`, `m.reaction`, …
    package var type: String?
    /// `origin_server_ts`, milliseconds since 1970.
    package var originServerTS: Double?
    /// Nil when `content` is missing or not an object.
    package var content: Content?

    package init(eventID: String, sender: String?, type: String?, originServerTS: Double? = nil, content: Content?) {
        self.eventID = eventID; self.sender = sender; self.type = type; self.originServerTS = originServerTS; self.content = content
    }

    /// The content fields of messages (`m.room.message`) and reactions (`m.reaction`) the bot reads.
    package struct Content: Decodable, Sendable, Equatable {
        /// `m.text`, `m.notice`, …
        package var msgtype: String?
        package var body: String?
        /// `m.relates_to`: a thread, an edit, a reply or a reaction's annotation.
        package var relation: Relation?

        package init(msgtype: String? = nil, body: String? = nil, relation: Relation? = nil) {
            self.msgtype = msgtype; self.body = body; self.relation = relation
        }

        private enum CodingKeys: String, CodingKey { case msgtype, body, relation = "m.relates_to" }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            msgtype = container.lenient(String.self, .msgtype)
            body = container.lenient(String.self, .body)
            relation = container.lenient(Relation.self, .relation)
        }
    }

    /// `m.relates_to`: `rel_type` (`m.thread`, `m.replace`, `m.annotation`), the event related to, and a reaction's key.
    package struct Relation: Decodable, Sendable, Equatable {
        package var type: String?
        package var eventID: String?
        package var key: String?

        package init(type: String?, eventID: String?, key: String? = nil) {
            self.type = type; self.eventID = eventID; self.key = key
        }

        private enum CodingKeys: String, CodingKey { case type = "rel_type", eventID = "event_id", key }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = container.lenient(String.self, .type)
            eventID = container.lenient(String.self, .eventID)
            key = container.lenient(String.self, .key)
        }
    }

    private enum CodingKeys: String, CodingKey { case eventID = "event_id", sender, type, originServerTS = "origin_server_ts", content }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(String.self, forKey: .eventID)
        sender = container.lenient(String.self, .sender)
        type = container.lenient(String.self, .type)
        originServerTS = container.lenient(Double.self, .originServerTS)
        content = container.lenient(Content.self, .content)
    }
}
