import Core
import Foundation
import HTTP
import Logging

/// Delivers to Slack: a new alert is a Block Kit message in the team channel; an update edits it in place
/// (`chat.update`) and adds the who/what/when/why line to its thread (broadcast to the channel when the alert
/// re-fires); an escalation opens a DM (`conversations.open`) and posts there; an image (the digest's chart) is
/// uploaded and shared in the channel with the message's title.
///
/// Pacing: at most one message per channel per second (Slack: "one message per second per channel"); a delivery
/// that comes sooner is handed back as `paced`, so the dispatcher holds that channel without a hot loop.
///
/// Every Block Kit message is checked against Slack's limits before it is sent (`BlockKit.problems`); one beyond
/// them, or one whose blocks Slack still refuses (`invalid_blocks`, `msg_too_long`…), is sent as plain text instead,
/// so the message arrives and its reference is stored like any other.
package actor SlackSurface: ChatSurface {
    package nonisolated let platform: ChatPlatform = .slack
    let api: SlackWebAPI
    /// Times the per-channel pacing.
    let clock: any BotClock
    /// Seconds between two messages to one channel.
    let perChannelInterval: TimeInterval
    private var lastSent: [String: Date] = [:]
    /// User id → DM channel id, so a manager's DM is opened once per process.
    private var directChannels: [String: String] = [:]
    /// E-mail → user id, for people the manifests know only by e-mail.
    private var usersByEmail: [String: String] = [:]

    let logger: Logger

    package init(api: SlackWebAPI, perChannelInterval: TimeInterval = 1, clock: any BotClock,
                 logger: Logger = Logger(label: "soc2bot.slack")) {
        self.api = api; self.perChannelInterval = perChannelInterval; self.clock = clock; self.logger = logger
    }

    package func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
        switch delivery.kind {
        case .post, .reply:
            let channel = delivery.destination.address
            if let image = delivery.content.image {
                try pace(channel)
                let file = try await api.shareImage(image, title: delivery.content.title, channel: channel)
                lastSent[channel] = clock.now()
                return delivery.kind == .post ? MessageRef(platform: .slack, channel: channel, messageID: file) : nil
            }
            let ts = try await post(channel: channel, delivery.content)
            return delivery.kind == .post ? MessageRef(platform: .slack, channel: ts.channel, messageID: ts.ts) : nil
        case .update:
            guard !delivery.refs.isEmpty else {
                // The alert has no message here (its post failed for good, or the channel was added since): the
                // update carries the whole alert in its current state, so it is posted as the alert's message. (One
                // call: a second, for the thread line, could fail after it and make the retry post twice.)
                let ts = try await post(channel: delivery.destination.address, delivery.content)
                return MessageRef(platform: .slack, channel: ts.channel, messageID: ts.ts)
            }
            for ref in delivery.refs {
                try pace(ref.channel)
                _ = try await send("chat.update", delivery.content, ["channel": .string(ref.channel), "ts": .string(ref.messageID)])
                lastSent[ref.channel] = clock.now()
                if let line = delivery.content.threadLine {
                    var reply = BlockKit.threadReply(line).objectValue
                    reply["channel"] = .string(ref.channel)
                    reply["thread_ts"] = .string(ref.messageID)
                    if delivery.content.broadcast { reply["reply_broadcast"] = .bool(true) }
                    _ = try await api.call("chat.postMessage", .object(reply))
                }
            }
            return nil
        case .direct:
            let user = try await userID(for: delivery.destination)
            let channel: String
            if let known = directChannels[user] {
                channel = known
            } else {
                let opened = try await api.call("conversations.open", .object(["users": .string(user)]))
                guard let id = (opened["channel"] as? [String: Any])?["id"] as? String else {
                    throw SlackAPIError.malformed(method: "conversations.open")
                }
                directChannels[user] = id
                channel = id
            }
            _ = try await post(channel: channel, delivery.content)
            return nil
        }
    }

    /// The Slack user id of a direct destination: the address itself, or for a `mailto:` address the user
    /// `users.lookupByEmail` finds (remembered for the process; `users_not_found` is permanent).
    private func userID(for destination: ChatDestination) async throws -> String {
        guard let email = destination.email else { return destination.address }
        if let known = usersByEmail[email.lowercased()] { return known }
        let found = try await api.call("users.lookupByEmail", form: [("email", email)])
        guard let id = (found["user"] as? [String: Any])?["id"] as? String else { throw SlackAPIError.malformed(method: "users.lookupByEmail") }
        usersByEmail[email.lowercased()] = id
        return id
    }

    private func post(channel: String, _ message: ChatMessage) async throws -> (channel: String, ts: String) {
        try pace(channel)
        let answer = try await send("chat.postMessage", message, ["channel": .string(channel), "unfurl_links": .bool(false)])
        lastSent[channel] = clock.now()
        guard let ts = answer["ts"] as? String else { throw SlackAPIError.malformed(method: "chat.postMessage") }
        return (answer["channel"] as? String ?? channel, ts)
    }

    /// Calls `method` (chat.postMessage, chat.update) with `message` and `fields` (channel, ts…): as Block Kit when
    /// the blocks are within Slack's limits, else — and when Slack refuses them anyway — as plain text. An update
    /// sent as plain text removes the message's old blocks (`"blocks": []`), stale buttons with them.
    private func send(_ method: String, _ message: ChatMessage, _ fields: [String: JSONValue]) async throws -> [String: Any] {
        let (payload, problems) = BlockKit.sendable(message)
        if problems.isEmpty {
            do {
                return try await api.call(method, .object(payload.objectValue.merging(fields) { _, field in field }))
            } catch {
                guard let refusal = SlackWebAPI.contentRefusal(error) else { throw error }
                logger.warning("Slack refused the message's blocks: sending it as plain text",
                               metadata: ["slack.method": "\(method)", "slack.error": "\(refusal)", "alert.id": "\(message.alert.map(String.init(describing:)) ?? "-")"])
            }
        } else {
            logger.warning("the message's blocks are beyond Slack's limits: sending it as plain text",
                           metadata: ["slack.method": "\(method)", "problems": "\(problems.prefix(5).joined(separator: "; "))",
                                      "alert.id": "\(message.alert.map(String.init(describing:)) ?? "-")"])
        }
        var plain = BlockKit.plainText(message).objectValue.merging(fields) { _, field in field }
        if method == "chat.update" { plain["blocks"] = .array([]) }
        return try await api.call(method, .object(plain))
    }

    private func pace(_ channel: String) throws {
        if let last = lastSent[channel] {
            let wait = perChannelInterval - clock.now().timeIntervalSince(last)
            if wait > 0 { throw DeliveryError.paced(wait) }
        }
    }
}
