import Core
import Foundation

/// Delivers to Matrix rooms: a new alert is an `m.notice` in the team's room; an update edits it (`m.replace` with
/// the full `m.new_content`, always targeting the original event) and replies in the alert's thread (`m.thread`)
/// with the who/what/when/why line — and, when the alert re-fires, tells the room too; an escalation goes to the
/// person's direct room (reused from the bot's `m.direct` account data, else created with `is_direct`). An image (the
/// digest's chart) is uploaded to the content repository and posted as `m.image` with the title as its caption.
///
/// A reply (a command's answer, a question in an alert's thread) is a rich reply to the person's event, in its thread.
/// A room the bot has only been invited to (a first start, before the first sync joined it) is joined on the first
/// send the homeserver refuses, and the send repeated.
///
/// Idempotent: every event is sent with a transaction id derived from the outbox row's txnId (fixed before the
/// first attempt), so a retry after a crash or a timeout returns the event already sent instead of a duplicate.
package actor MatrixSurface: ChatSurface {
    package nonisolated let platform: ChatPlatform = .matrix
    let client: MatrixClient
    let userID: String
    /// Person → direct room, once known.
    private var directRooms: [String: String] = [:]

    package init(client: MatrixClient, userID: String) { self.client = client; self.userID = userID }

    package func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        do {
            return try await deliverOnce(delivery)
        } catch MatrixAPIError.forbidden(let what) {
            throw DeliveryError.permanent("Matrix \(what): M_FORBIDDEN (HTTP 403): the homeserver refuses the bot this")
        }
    }

    private func deliverOnce(_ delivery: ChatDelivery) async throws -> MessageRef? {
        var content = MatrixRenderer.content(delivery.content)
        if let image = delivery.content.image {
            // Uploading again on a retry only stores the bytes twice; the event itself is sent once (txnId).
            let uri = try await client.upload(image.data, contentType: image.mimeType, filename: image.filename)
            content = MatrixRenderer.image(image, caption: delivery.content.title, uri: uri)
        }
        switch delivery.kind {
        case .post, .reply:
            let room = delivery.destination.address
            if delivery.kind == .reply, let target = delivery.content.replyTo { content = Self.reply(content, to: target) }
            let event = try await send(room: room, txnID: delivery.txnID, content: content)
            return delivery.kind == .post ? MessageRef(platform: .matrix, channel: room, messageID: event) : nil
        case .update:
            guard !delivery.refs.isEmpty else {
                // The alert has no event here (its post failed for good, or the room was added since): the update
                // carries the whole alert in its current state, so it is sent as the alert's message.
                let room = delivery.destination.address
                let event = try await send(room: room, txnID: delivery.txnID, content: content)
                return MessageRef(platform: .matrix, channel: room, messageID: event)
            }
            for (i, ref) in delivery.refs.enumerated() {
                _ = try await send(room: ref.channel, txnID: "\(delivery.txnID).edit\(i)", content: Self.edit(of: ref.messageID, to: content))
                if let line = delivery.content.threadLine {
                    _ = try await send(room: ref.channel, txnID: "\(delivery.txnID).thread\(i)", content: Self.threadReply(line, root: ref.messageID))
                }
                if delivery.content.broadcast {
                    _ = try await send(room: ref.channel, txnID: "\(delivery.txnID).room\(i)", content: content)
                }
            }
            return nil
        case .direct:
            let room = try await directRoom(with: delivery.destination.address)
            _ = try await send(room: room, txnID: delivery.txnID, content: content)
            return nil
        }
    }

    /// Sends an `m.room.message`, joining the room first when the homeserver refuses it because the bot is not in it.
    ///
    /// On a first start the bot has only been invited to its rooms: Synapse answers a send from a non-member with
    /// `M_FORBIDDEN`. The bot then joins (which accepts the invite) and sends again under the same txnId. A room it
    /// cannot join (not invited yet, or not at all) is `DeliveryError.notReady`: retried, and given up with this
    /// reason after `Dispatcher.notReadyLimit`. A room that still refuses once joined (power levels) is permanent.
    private func send(room: String, txnID: String, content: JSONValue) async throws -> String {
        do {
            return try await client.send(room: room, type: "m.room.message", txnID: txnID, content: content)
        } catch MatrixAPIError.forbidden {
            do {
                try await client.join(room: room)
            } catch let error as MatrixAPIError {
                // Not invited (M_FORBIDDEN) or no such room here (404): a person may still invite the bot.
                switch error {
                case .forbidden, .failed(404, _, _): throw Self.cannotJoin(room, userID: userID, error)
                default: throw error
                }
            }
            do {
                return try await client.send(room: room, type: "m.room.message", txnID: txnID, content: content)
            } catch MatrixAPIError.forbidden {
                throw DeliveryError.permanent("Matrix room \(room) refuses the bot's messages although it has joined (M_FORBIDDEN): let \(userID) post there")
            }
        }
    }

    static func cannotJoin(_ room: String, userID: String, _ error: MatrixAPIError) -> DeliveryError {
        .notReady("the bot is not in Matrix room \(room) and cannot join it (\(error)); invite \(userID) to the room")
    }

    /// An edit: the fallback body for clients without edits, the full new content, the original as target.
    static func edit(of original: String, to content: JSONValue) -> JSONValue {
        var fallback = content.objectValue
        fallback["body"] = .string("* " + (content["body"]?.stringValue ?? ""))
        fallback["formatted_body"] = content["formatted_body"].map { .string("* " + ($0.stringValue ?? "")) }
        fallback["m.new_content"] = content
        fallback["m.relates_to"] = .object(["rel_type": .string("m.replace"), "event_id": .string(original)])
        return .object(fallback)
    }

    /// A notice in the thread whose root is `root` (with the reply fallback for clients without threads).
    package static func threadReply(_ text: String, root: String, mentioning: [String] = []) -> JSONValue {
        reply(MatrixRenderer.notice(text), to: ChatMessage.ReplyTarget(message: root, thread: root, mentions: mentioning))
    }

    /// `content` as an answer to `target.message`: in `target.thread` when given (`m.thread`; a reply to its root
    /// is the fallback for clients without threads), else a rich reply (`m.in_reply_to`); mentioning `target.mentions`.
    package static func reply(_ content: JSONValue, to target: ChatMessage.ReplyTarget) -> JSONValue {
        var content = content.objectValue
        if let thread = target.thread {
            content["m.relates_to"] = .object([
                "rel_type": .string("m.thread"), "event_id": .string(thread), "is_falling_back": .bool(target.message == thread),
                "m.in_reply_to": .object(["event_id": .string(target.message)]),
            ])
        } else {
            content["m.relates_to"] = .object(["m.in_reply_to": .object(["event_id": .string(target.message)])])
        }
        if !target.mentions.isEmpty { content["m.mentions"] = .object(["user_ids": .array(target.mentions.map(JSONValue.string))]) }
        return .object(content)
    }

    /// The direct room with `user`: remembered, else from `m.direct`, else created (and recorded in `m.direct`).
    func directRoom(with user: String) async throws -> String {
        if let room = directRooms[user] { return room }
        var direct = try await client.accountData(userID: userID, type: "m.direct") ?? [:]
        let known = Self.rooms(direct[user])
        if let room = known?.first {
            directRooms[user] = room
            return room
        }
        let room = try await client.createDirectRoom(with: user)
        direct[user] = .array((known ?? []).map(InboundJSON.string) + [.string(room)])
        try await client.setAccountData(userID: userID, type: "m.direct", content: InboundJSON.object(direct).data)
        directRooms[user] = room
        return room
    }

    /// A user's direct rooms in `m.direct`: a list of room ids, else nil (what another client wrote there is kept).
    static func rooms(_ value: InboundJSON?) -> [String]? {
        guard case .array(let items)? = value else { return nil }
        let rooms = items.compactMap(\.stringValue)
        return rooms.count == items.count ? rooms : nil
    }
}
