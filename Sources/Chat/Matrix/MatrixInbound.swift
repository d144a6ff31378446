import Core
import Foundation
import Logging
import Synchronization

/// What people do in Matrix: `!soc2 …` commands (in a room, or as a thread reply to an alert without repeating
/// its id), and reactions on an alert (👀 acknowledge, ⬆️ escalate, ⏰ snooze and ✅ close — the last two ask in
/// the thread for the rationale or remediation, which the person's next reply there supplies; the question is kept
/// in the database for `promptLifetime`, so a reply after a restart is still understood).
///
/// The `/sync` long-poll loop: a filter for messages and reactions; `next_batch` saved (cursor
/// `matrix.next_batch`) after each batch is processed, so a restart resumes where it stopped; events de-duplicated
/// by `event_id`; the bot's own events and `m.notice`s (other bots) ignored; invites joined only for rooms the
/// manifests name. Commands from other rooms, edits, reactions on events that are not alerts and malformed
/// events are ignored and logged. Events sent before the bot first listened on this database are history, never
/// acted on. Answers go through the outbox (held and retried like every message, rate limits included) with a
/// transaction id derived from the command's event id, so re-processing a batch after a crash never answers twice.
/// It reaches the bot only through `ChatBot` (commands, the outbox, cursors, open questions).
package final class MatrixInbound: Sendable {
    package static let cursorName = "matrix.next_batch"
    /// Cursor-name prefix of events whose alert action was applied (`matrix.handled:$event`).
    package static let handledPrefix = "matrix.handled:"
    /// Cursor holding when the bot first listened to Matrix on this database (seconds since 1970).
    package static let listeningSinceCursor = "matrix.listening_since"
    /// How long a ⏰ / ✅ question waits for its answer, seconds. A later reply is told to ask again.
    package static let promptLifetime: TimeInterval = 86_400

    let client: MatrixClient
    let userID: String
    let bot: any ChatBot
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
        var filterID: String?
        var listeningSince: Date?
    }

    var clock: any BotClock { bot.clock }
    /// The homeserver's time: the backoff after a failed sync runs on it (`SystemClock` even when the bot's own time
    /// is simulated, so a simulated clock never turns the retries into a hot loop).
    let wireClock: any BotClock

    package init(client: MatrixClient, userID: String, bot: any ChatBot, logger: Logger, wireClock: any BotClock, pollTimeout: Int = 30_000) {
        self.client = client; self.userID = userID; self.bot = bot; self.logger = logger
        self.wireClock = wireClock
        self.pollTimeout = pollTimeout
        self.rooms = bot.routedChannels(on: .matrix)
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
                if case DeliveryError.retryAfter(let seconds) = error { wait = Backoff.serverWait(seconds) } else {
                    wait = Backoff.delay(attempt: failures, base: 1, cap: 60) * Double.random(in: 0.5...1.0)
                }
                logger.warning("Matrix sync failed; retrying", metadata: ["error": "\(error)", "in": "\(DurationText.wholeSeconds(wait)) s"])
                try? await wireClock.sleep(for: wait)
            }
        }
    }

    /// One `/sync` round: fetch, process, then save `next_batch`.
    package func syncOnce(timeout: Int? = nil) async throws {
        _ = try listeningSince()
        let filter = try await filterID()
        let since = try bot.cursor(Self.cursorName)
        let answer = try await client.sync(since: since, filter: filter, timeout: since == nil ? 0 : (timeout ?? pollTimeout))
        guard let next = answer.nextBatch else { throw MatrixAPIError.malformed(what: "sync") }
        try await process(answer, initial: since == nil)
        try bot.setCursor(Self.cursorName, next)
    }

    /// The sync filter, uploaded once per process with a field of its own (`org.soc2bot.session`, a new UUID).
    ///
    /// Synapse answers a `/sync` from a response cache (2 minutes by default, `caches.sync_response_cache_duration`)
    /// keyed by user, device, `since`, `timeout`, filter id and `full_state`, so that a client retrying a sync gets
    /// the same answer. It also gives an identical filter the same id. Without the unique field, a bot started on a
    /// new database within that window sent the very request of the previous run's first sync and got its answer,
    /// whose old `next_batch` then replayed that run's commands.
    private func filterID() async throws -> String {
        if let id = state.withLock({ $0.filterID }) { return id }
        let filter: JSONValue = .object([
            "room": .object([
                "timeline": .object(["types": .array([.string("m.room.message"), .string("m.reaction")]), "limit": .int(100)]),
                "state": .object(["lazy_load_members": .bool(true)]),
                "ephemeral": .object(["not_types": .array([.string("*")])]),
            ]),
            "presence": .object(["not_types": .array([.string("*")])]),
            "account_data": .object(["types": .array([.string("m.direct")])]),
            "org.soc2bot.session": .string(UUID().uuidString.lowercased()),
        ])
        let id = try await client.createFilter(userID: userID, filter: try JSONValue.encoded(filter))
        state.withLock { $0.filterID = id }
        return id
    }

    /// When the bot first listened to Matrix on this database: recorded on the first sync of a new database and
    /// kept. Events older than this (`origin_server_ts`) are history and never acted on.
    package func listeningSince() throws -> Date {
        if let since = state.withLock({ $0.listeningSince }) { return since }
        let now = clock.now()
        let since: Date
        if let seconds = Double(try bot.cursor(Self.listeningSinceCursor, settingIfUnset: String(now.timeIntervalSince1970))) {
            since = Date(timeIntervalSince1970: seconds)
        } else {
            try bot.setCursor(Self.listeningSinceCursor, String(now.timeIntervalSince1970))
            since = now
        }
        state.withLock { $0.listeningSince = since }
        return since
    }

    /// Handles one sync answer. On the very first sync (no saved position) the timeline is history from before
    /// the bot listened: it is marked seen, not acted on.
    package func process(_ answer: MatrixSyncResponse, initial: Bool) async throws {
        state.withLock { $0.directRooms.formUnion(answer.directRooms) }
        for room in answer.invitedRooms {
            if rooms.contains(room) {
                do {
                    try await client.join(room: room)
                    logger.notice("Matrix: joined \(room) (named in the manifests)")
                    // Messages that waited for the bot to be let in go now.
                    try bot.retryPending(to: .channel(.matrix, room))
                } catch {
                    logger.warning("Matrix: could not join \(room)", metadata: ["error": "\(error)"])
                }
            } else {
                logger.notice("Matrix: invite to \(room) ignored: not a room the manifests name")
            }
        }
        for (room, events) in answer.joinedRooms.sorted(by: { $0.key < $1.key }) {
            for event in events where !state.withLock({ $0.seen.contains(event.eventID) }) {
                // Seen only once handled: an event whose answer could not be queued is handled again with the batch.
                if !initial { try await handle(event, room: room) }
                _ = state.withLock { $0.seen.insert(event.eventID) }
            }
        }
    }

    private func handle(_ event: MatrixRoomEvent, room: String) async throws {
        let id = event.eventID
        guard let sender = event.sender, sender != userID, let type = event.type, let content = event.content else { return }
        // Sent before the bot listened on this database: a fresh database's first sync may still bring a previous
        // run's commands (a since-token from before, a cached answer), which that run answered already.
        let since = try listeningSince()
        if let sent = event.originServerTS, sent / 1000 < since.timeIntervalSince1970 {
            logger.debug("Matrix: event from before the bot listened on this database ignored", metadata: ["event": "\(id)"])
            return
        }
        let listened = rooms.contains(room) || state.withLock { $0.directRooms.contains(room) }
        let relation = content.relation
        switch type {
        case "m.reaction":
            guard listened, relation?.type == "m.annotation", let target = relation?.eventID, let key = relation?.key else { return }
            try await react(Self.normalise(key), on: target, by: sender, room: room, event: id)
        case "m.room.message":
            // People's text only: m.notice is other bots, edits are ignored, anything without a text body is malformed.
            guard content.msgtype == "m.text", relation?.type != "m.replace", let body = content.body else { return }
            guard body.utf8.count <= 16_384 else {
                logger.notice("Matrix: over-long message ignored", metadata: ["room": "\(room)", "bytes": "\(body.utf8.count)"])
                return
            }
            let threadRoot = relation?.type == "m.thread" ? relation?.eventID : nil
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.lowercased().hasPrefix("!soc2") {
                guard listened else {
                    logger.notice("Matrix: command from a room the manifests do not name ignored", metadata: ["room": "\(room)"])
                    return
                }
                let alert = threadRoot.flatMap { try? alertID(event: $0, room: room) }
                try await command(Self.completing(text, alert: alert), from: sender, room: room, event: id, threadRoot: threadRoot)
            } else if let root = threadRoot, listened, let prompt = try bot.question(sender: sender, root: root) {
                try await answer(prompt, with: text, room: room, event: id)
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
    /// answer is queued under a txnId derived from the event, so an answer already queued is not queued again.
    private func command(_ text: String, from sender: String, room: String, event: String, threadRoot: String?) async throws {
        let handled = Self.handledPrefix + event
        let message: ChatMessage
        do {
            if try bot.cursor(handled) != nil {
                logger.notice("Matrix: event already acted on before a restart; not acted on again", metadata: ["event": "\(event)"])
                message = .text("Already done before soc2bot restarted; nothing was changed again.")
            } else {
                message = try bot.command(text, from: sender, on: .matrix, surface: .chat(.matrix), handled: handled)
            }
        } catch {
            logger.error("Matrix command failed", metadata: ["error": "\(error)"])
            message = .text("soc2bot could not do that: an internal error (the bot's log has the details). Nothing was changed.")
        }
        try reply(message, in: room, to: .init(message: event, thread: threadRoot, mentions: [sender]), txnID: "soc2bot-reply-\(event)")
    }

    /// A person's reply in the thread where the bot asked them something: completes the command, or, when the
    /// question expired, says how to do it now.
    private func answer(_ prompt: ChatQuestion, with text: String, room: String, event: String) async throws {
        // Forgotten once answered (not before: an answer that could not be queued is handled again with its batch).
        func forget() throws { try bot.forget(sender: prompt.sender, root: prompt.root) }
        guard let alert = try alertID(event: prompt.root, room: room) else { return try forget() }
        guard clock.now() < prompt.expiresAt else {
            let example = prompt.command == "snooze" ? "!soc2 snooze 2d <why>" : "!soc2 close <what was done>"
            try reply(.text("That question expired (\(Int(Self.promptLifetime / 3_600)) h); nothing was changed.",
                            body: "React again, or type `\(example)` in this thread, to \(prompt.command) \(alert)."),
                      in: room, to: .init(message: event, thread: prompt.root, mentions: [prompt.sender]), txnID: "soc2bot-reply-\(event)")
            return try forget()
        }
        try await command("!soc2 \(prompt.command) \(alert) \(text)", from: prompt.sender, room: room, event: event, threadRoot: prompt.root)
        try forget()
    }

    /// A reaction on an alert: 👀 acknowledges, ⬆ escalates, ⏰ / ✅ ask in the thread for the rest.
    private func react(_ key: String, on target: String, by sender: String, room: String, event: String) async throws {
        guard let alert = try? alertID(event: target, room: room) else {
            logger.debug("Matrix: reaction on an event that is not an alert ignored")
            return
        }
        switch key {
        case "👀": try await command("!soc2 ack \(alert)", from: sender, room: room, event: event, threadRoot: target)
        case "⬆", "🔼": try await command("!soc2 escalate \(alert)", from: sender, room: room, event: event, threadRoot: target)
        case "⏰", "✅", "✔":
            let kind: ChatAction.Kind = key == "⏰" ? .snooze : .close
            let now = clock.now()
            try bot.ask(ChatQuestion(sender: sender, root: target, room: room, command: kind.command, expiresAt: now.addingTimeInterval(Self.promptLifetime)))
            let ask = kind == .snooze
                ? "\(sender): reply in this thread with how long and why, e.g. `2d waiting for the vendor's fix`, to snooze \(alert)."
                : "\(sender): reply in this thread with what was done (and a link if you have one) to close \(alert)."
            try reply(.text(ask), in: room, to: .init(message: target, thread: target, mentions: [sender]), txnID: "soc2bot-prompt-\(event)")
        default:
            logger.debug("Matrix: reaction \(key) on \(alert) has no meaning")
        }
    }

    /// Queues an answer in the outbox, delivered by the dispatcher like every message (held while the homeserver
    /// rate-limits, retried, kept across a restart). `txnID` is derived from the event answered, so an event handled
    /// again (its batch seen again after a crash) queues nothing new.
    private func reply(_ message: ChatMessage, in room: String, to target: ChatMessage.ReplyTarget, txnID: String) throws {
        var message = message
        message.replyTo = target
        try bot.reply(message, to: .channel(.matrix, room), txnID: txnID)
    }

    private func alertID(event: String, room: String) throws -> AlertID? {
        try bot.alert(messageID: event, platform: .matrix, channel: room)
    }

    /// Reaction keys without variation selectors (U+FE0E, U+FE0F), so `⬆️` and `⬆` are one key.
    package static func normalise(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.filter { $0.value != 0xFE0E && $0.value != 0xFE0F }))
    }

    /// `!soc2 snooze 2d why` in an alert's thread means `!soc2 snooze A-3 2d why`: the alert id is added after the
    /// verb when the command takes one and does not name one.
    package static func completing(_ text: String, alert: AlertID?) -> String {
        guard let alert else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 2 else { return text }
        let verbs: Set<String> = ["ack", "snooze", "escalate", "close", "accept", "show", "note"]
        guard verbs.contains(words[1].lowercased()) else { return text }
        if words.count >= 3, AlertID(parsing: words[2]) != nil { return text }
        words.insert(alert.description, at: 2)
        return words.joined(separator: " ")
    }
}

