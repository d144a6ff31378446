import Foundation

/// The parts of a `/sync` answer (client-server API v3, `GET /_matrix/client/v3/sync`) the bot reads: where the next
/// sync starts, the `m.direct` account data, the rooms it is invited to and the timelines of the rooms it is in.
///
/// Decoded leniently, as a client must read what other clients wrote: a section of the wrong type counts as empty and
/// an event that is not an object or has no `event_id` is skipped, so one malformed event neither fails the batch
/// (which would stop the sync loop on it) nor hides the events beside it. An event with an id but malformed fields is
/// kept, for the inbound handler to mark seen and ignore.
package struct MatrixSyncResponse: Decodable, Sendable, Equatable {
    /// `next_batch`: the token the next sync starts from; nil when missing (`MatrixInbound.syncOnce` refuses that).
    package var nextBatch: String?
    /// The rooms `m.direct` account data names (the bot's direct chats, every user's), in the answer's order.
    package var directRooms: [String]
    /// Rooms the bot is invited to (`rooms.invite`), sorted.
    package var invitedRooms: [String]
    /// Each joined room's new timeline events (`rooms.join.<room>.timeline.events`), in the server's order.
    package var joinedRooms: [String: [MatrixRoomEvent]]

    package init(nextBatch: String?, directRooms: [String] = [], invitedRooms: [String] = [], joinedRooms: [String: [MatrixRoomEvent]] = [:]) {
        self.nextBatch = nextBatch; self.directRooms = directRooms; self.invitedRooms = invitedRooms; self.joinedRooms = joinedRooms
    }

    /// Decodes a `/sync` answer's bytes; throws only when they are not a JSON object.
    package init(json data: Data) throws {
        self = try JSONDecoder().decode(Self.self, from: data)
    }

    private enum CodingKeys: String, CodingKey { case nextBatch = "next_batch", accountData = "account_data", rooms }
    private enum EventsKeys: String, CodingKey { case events }
    private enum RoomsKeys: String, CodingKey { case invite, join }

    /// An account-data event: `m.direct`'s content maps a user id to the ids of the direct rooms with them.
    private struct AccountDataEvent: Decodable {
        let type: String
        let rooms: [String]
        private enum CodingKeys: String, CodingKey { case type, content }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            let content = container.lenient([String: Lenient<[String]>].self, .content) ?? [:]
            rooms = content.values.compactMap(\.value).flatMap { $0 }
        }
    }

    private struct JoinedRoom: Decodable {
        let events: [MatrixRoomEvent]
        private enum CodingKeys: String, CodingKey { case timeline }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let timeline = try? container.nestedContainer(keyedBy: EventsKeys.self, forKey: .timeline)
            events = timeline?.lenientElements(MatrixRoomEvent.self, .events) ?? []
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nextBatch = container.lenient(String.self, .nextBatch)
        let accountData = try? container.nestedContainer(keyedBy: EventsKeys.self, forKey: .accountData)
        directRooms = (accountData?.lenientElements(AccountDataEvent.self, .events) ?? []).filter { $0.type == "m.direct" }.flatMap(\.rooms)
        let rooms = try? container.nestedContainer(keyedBy: RoomsKeys.self, forKey: .rooms)
        invitedRooms = (rooms?.lenient([String: IgnoredJSON].self, .invite) ?? [:]).keys.sorted()
        joinedRooms = (rooms?.lenient([String: Lenient<JoinedRoom>].self, .join) ?? [:]).mapValues { $0.value?.events ?? [] }
    }
}
