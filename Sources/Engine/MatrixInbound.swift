import Chat
import Core
import Foundation
import Logging
import Synchronization

/// What people do in Matrix: `!soc2 …` commands (in a room, or as a thread reply to an alert without repeating
/// its id), and reactions on an alert (👀 acknowledge, ⬆️ escalate, ⏰ snooze and ✅ close — the last two ask in
/// the thread for the rationale or remediation, which the person's next reply there supplies).
///
/// The `/sync` long-poll loop: a filter for messages and reactions; `next_batch` saved (cursor
/// `matrix.next_batch`) after each batch is processed, so a restart resumes where it stopped; events de-duplicated
/// by `event_id`; the bot's own events and `m.notice`s (other bots) ignored; invites joined only for rooms the
/// manifests name. Commands from other rooms, edits, reactions on events that are not alerts and malformed
/// events are ignored and logged. Replies are sent with a transaction id derived from the command's event id,
/// so re-processing a batch after a crash never answers twice.
package final class MatrixInbound: Sendable {
    package static let cursorName = "matrix.next_batch"
    /// Cursor-name prefix of events whose alert action was applied (`matrix.handled:$event`).
    package static let handledPrefix = "matrix.handled:"

    let client: MatrixClient
    let userID: String
    let commands: CommandHandler
    let doorbell: Doorbell
    let logger: Logger
    /// Rooms the manifests name (team rooms, the default route): the only rooms joined on invite and listened to.
    let rooms: Set<String>
    /// Long-poll timeout of each `/sync`, ms.
    let pollTimeout: Int
    private let state = Mutex(State())

    private struct State {
        var seen = RecentIDs(capacity: 4_096)
        /// The bot's direct rooms (from `m.direct`): escalation DMs, where the recipient may answer.
        var directRooms: Set<String> = []
        /// (person, alert event) → what their next thread reply supplies.
        var prompts: [PromptKey: ChatAction.Kind] = [:]
        var filterID: String?
    }

    private struct PromptKey: Hashable { var sender: String; var root: String }

    var engine: AlertEngine { commands.engine }

    package init(client: MatrixClient, userID: String, commands: CommandHandler, doorbell: Doorbell, logger: Logger, pollTimeout: Int = 30_000) {
        self.client = client; self.userID = userID; self.commands = commands; self.doorbell = doorbell; self.logger = logger
        self.pollTimeout = pollTimeout
        let config = commands.engine.config
        var rooms = Set(config.teams.flatMap { team in Severity.allCases.compactMap { team.channels.channels(for: $0)[.matrix] } })
        if let fallback = config.defaultChannels[.matrix] { rooms.insert(fallback) }
        self.rooms = rooms
    }

    /// Syncs until the task is cancelled; errors are logged and retried with capped, jittered backoff.
    package func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await syncOnce()
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let wait: TimeInterval
                // A homeserver's Retry-After is trusted up to an hour; `inf`, `nan` or 1e300 would not fit a sleep.
                if case DeliveryError.retryAfter(let seconds) = error { wait = seconds.isFinite ? min(max(seconds, 0), 3_600) : 60 } else {
                    wait = Backoff.delay(attempt: failures, base: 1, cap: 60) * Double.random(in: 0.5...1.0)
                }
                logger.warning("Matrix sync failed; retrying", metadata: ["error": "\(error)", "in": "\(DurationText.wholeSeconds(wait)) s"])
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            }
        }
    }

    /// One `/sync` round: fetch, process, then save `next_batch`.
    package func syncOnce(timeout: Int? = nil) async throws {
        let filter = try await filterID()
        let since = try engine.database.read { try $0.cursor(Self.cursorName) }
        let answer = try await client.sync(since: since, filter: filter, timeout: since == nil ? 0 : (timeout ?? pollTimeout))
        guard let next = answer["next_batch"] as? String else { throw MatrixAPIError.malformed(what: "sync") }
        try await process(answer, initial: since == nil)
        try engine.database.write { try $0.setCursor(Self.cursorName, next) }
    }

    private func filterID() async throws -> String {
        if let id = state.withLock({ $0.filterID }) { return id }
        let filter = Data(#"{"room":{"timeline":{"types":["m.room.message","m.reaction"],"limit":100},"state":{"lazy_load_members":true},"ephemeral":{"not_types":["*"]}},"presence":{"not_types":["*"]},"account_data":{"types":["m.direct"]}}"#.utf8)
        let id = try await client.createFilter(userID: userID, filter: filter)
        state.withLock { $0.filterID = id }
        return id
    }

    /// Handles one sync answer. On the very first sync (no saved position) the timeline is history from before
    /// the bot listened: it is marked seen, not acted on.
    func process(_ answer: [String: Any], initial: Bool) async throws {
        for event in (answer["account_data"] as? [String: Any])?["events"] as? [[String: Any]] ?? [] where event["type"] as? String == "m.direct" {
            let rooms = ((event["content"] as? [String: Any]) ?? [:]).values.compactMap { $0 as? [String] }.flatMap { $0 }
            state.withLock { $0.directRooms.formUnion(rooms) }
        }
        let roomsSection = answer["rooms"] as? [String: Any] ?? [:]
        for room in (roomsSection["invite"] as? [String: Any] ?? [:]).keys.sorted() {
            if rooms.contains(room) {
                do { try await client.join(room: room); logger.notice("Matrix: joined \(room) (named in the manifests)") }
                catch { logger.warning("Matrix: could not join \(room)", metadata: ["error": "\(error)"]) }
            } else {
                logger.notice("Matrix: invite to \(room) ignored: not a room the manifests name")
            }
        }
        for (room, value) in (roomsSection["join"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let events = ((value as? [String: Any])?["timeline"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
            for event in events {
                guard let id = event["event_id"] as? String else { continue }
                guard state.withLock({ $0.seen.insert(id) }), !initial else { continue }
                await handle(event, id: id, room: room)
            }
        }
    }

    private func handle(_ event: [String: Any], id: String, room: String) async {
        guard let sender = event["sender"] as? String, sender != userID, let type = event["type"] as? String,
              let content = event["content"] as? [String: Any] else { return }
        let listened = rooms.contains(room) || state.withLock { $0.directRooms.contains(room) }
        let relation = content["m.relates_to"] as? [String: Any]
        switch type {
        case "m.reaction":
            guard listened, relation?["rel_type"] as? String == "m.annotation", let target = relation?["event_id"] as? String,
                  let key = relation?["key"] as? String else { return }
            await react(Self.normalise(key), on: target, by: sender, room: room, event: id)
        case "m.room.message":
            // People's text only: m.notice is other bots, edits are ignored, anything without a text body is malformed.
            guard content["msgtype"] as? String == "m.text", relation?["rel_type"] as? String != "m.replace",
                  let body = content["body"] as? String else { return }
            guard body.utf8.count <= 16_384 else {
                logger.notice("Matrix: over-long message ignored", metadata: ["room": "\(room)", "bytes": "\(body.utf8.count)"])
                return
            }
            let threadRoot = relation?["rel_type"] as? String == "m.thread" ? relation?["event_id"] as? String : nil
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.lowercased().hasPrefix("!soc2") {
                guard listened else {
                    logger.notice("Matrix: command from a room the manifests do not name ignored", metadata: ["room": "\(room)"])
                    return
                }
                let alert = threadRoot.flatMap { try? alertID(event: $0, room: room) }
                await command(Self.completing(text, alert: alert), from: sender, room: room, event: id, threadRoot: threadRoot)
            } else if let root = threadRoot, listened,
                      let kind = state.withLock({ $0.prompts.removeValue(forKey: PromptKey(sender: sender, root: root)) }),
                      let alert = try? alertID(event: root, room: room) {
                await command("!soc2 \(kind.command) \(alert) \(text)", from: sender, room: room, event: id, threadRoot: root)
            }
        default:
            return
        }
    }

    /// Runs a command for `sender` and answers in the thread it came from (or as a reply to it).
    ///
    /// `next_batch` is saved after the whole batch, so a crash inside it makes the restarted bot see the batch again.
    /// A command that records something (an alert action, evidence) therefore records its event as handled in the
    /// same transaction, and an event found recorded is not acted on twice (an escalation would escalate again). Its
    /// answer is sent again under the same txnId, which the homeserver drops if the first one went out.
    private func command(_ text: String, from sender: String, room: String, event: String, threadRoot: String?) async {
        let handled = Self.handledPrefix + event
        let message: ChatMessage
        do {
            if try engine.database.read({ try $0.cursor(handled) }) != nil {
                logger.notice("Matrix: event already acted on before a restart; not acted on again", metadata: ["event": "\(event)"])
                message = .text("Already done before soc2bot restarted; nothing was changed again.")
            } else {
                message = try commands.handle(text, from: sender, on: .matrix, surface: .matrix, cursor: (handled, "handled"))
                doorbell.ring()
            }
        } catch {
            logger.error("Matrix command failed", metadata: ["error": "\(error)"])
            message = .text("soc2bot could not do that: an internal error (the bot's log has the details). Nothing was changed.")
        }
        var content = MatrixRenderer.content(message).objectValue
        if let threadRoot {
            content["m.relates_to"] = .object(["rel_type": .string("m.thread"), "event_id": .string(threadRoot), "is_falling_back": .bool(false),
                                               "m.in_reply_to": .object(["event_id": .string(event)])])
        } else {
            content["m.relates_to"] = .object(["m.in_reply_to": .object(["event_id": .string(event)])])
        }
        content["m.mentions"] = .object(["user_ids": .array([.string(sender)])])
        await send(room: room, txnID: "soc2bot-reply-\(event)", content: .object(content))
    }

    /// A reaction on an alert: 👀 acknowledges, ⬆ escalates, ⏰ / ✅ ask in the thread for the rest.
    private func react(_ key: String, on target: String, by sender: String, room: String, event: String) async {
        guard let alert = try? alertID(event: target, room: room) else {
            logger.debug("Matrix: reaction on an event that is not an alert ignored")
            return
        }
        switch key {
        case "👀": await command("!soc2 ack \(alert)", from: sender, room: room, event: event, threadRoot: target)
        case "⬆", "🔼": await command("!soc2 escalate \(alert)", from: sender, room: room, event: event, threadRoot: target)
        case "⏰", "✅", "✔":
            let kind: ChatAction.Kind = key == "⏰" ? .snooze : .close
            state.withLock { $0.prompts[PromptKey(sender: sender, root: target)] = kind }
            let ask = kind == .snooze
                ? "\(sender): reply in this thread with how long and why, e.g. `2d waiting for the vendor's fix`, to snooze \(alert)."
                : "\(sender): reply in this thread with what was done (and a link if you have one) to close \(alert)."
            await send(room: room, txnID: "soc2bot-prompt-\(event)", content: MatrixSurface.threadReply(ask, root: target, mentioning: [sender]))
        default:
            logger.debug("Matrix: reaction \(key) on \(alert) has no meaning")
        }
    }

    private func send(room: String, txnID: String, content: JSONValue) async {
        do { _ = try await client.send(room: room, type: "m.room.message", txnID: txnID, content: content) } catch {
            logger.warning("Matrix: reply not sent", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    private func alertID(event: String, room: String) throws -> AlertID? {
        try engine.database.read { try $0.alert(messageID: event, platform: .matrix, channel: room) }
    }

    /// Reaction keys without variation selectors (U+FE0E, U+FE0F), so `⬆️` and `⬆` are one key.
    static func normalise(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.filter { $0.value != 0xFE0E && $0.value != 0xFE0F }))
    }

    /// `!soc2 snooze 2d why` in an alert's thread means `!soc2 snooze A-3 2d why`: the alert id is added after the
    /// verb when the command takes one and does not name one.
    static func completing(_ text: String, alert: AlertID?) -> String {
        guard let alert else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 2 else { return text }
        let verbs: Set<String> = ["ack", "snooze", "escalate", "close", "accept", "show"]
        guard verbs.contains(words[1].lowercased()) else { return text }
        if words.count >= 3, AlertID(parsing: words[2]) != nil { return text }
        words.insert(alert.description, at: 2)
        return words.joined(separator: " ")
    }
}

