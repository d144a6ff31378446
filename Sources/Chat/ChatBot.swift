import Core
import Foundation

/// What a platform's inbound code asks of the bot: run a person's command, queue an answer, find the alert a message
/// is, and keep the little state a platform needs (cursors, open questions). `Chat` cannot import Engine or Store;
/// Engine implements this (`EngineChatBot`) over its command handler, database and doorbell. Every call that
/// records something wakes the dispatchers, so what it queued goes out at once.
package protocol ChatBot: Sendable {
    /// The bot's time.
    var clock: any BotClock { get }
    /// The channels (rooms) the manifests route to on `platform`: the teams' channels and the default route.
    func routedChannels(on platform: ChatPlatform) -> Set<String>
    /// Runs `text`, a command the chat user `user` typed on `platform` (`surface` as the ledger names it); the answer
    /// to show. `handled`, when given, is a cursor recorded in the same transaction as what the command records, so a
    /// command seen again after a crash is known to have been acted on.
    func command(_ text: String, from user: String, on platform: ChatPlatform, surface: Surface, handled: String?) throws -> ChatMessage
    /// Queues `message` for `destination` once per `txnID` (the outbox: held while rate-limited, retried, kept across a
    /// restart).
    func reply(_ message: ChatMessage, to destination: ChatDestination, txnID: String) throws
    /// The alert whose message on `platform` in `channel` is `messageID`.
    func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID?
    /// Messages held for `destination` (not deliverable yet: the bot was not in the room) are due again now.
    func retryPending(to destination: ChatDestination) throws
    func cursor(_ name: String) throws -> String?
    func setCursor(_ name: String, _ value: String) throws
    /// The value of cursor `name`; `value`, recorded first, when it has none.
    func cursor(_ name: String, settingIfUnset value: String) throws -> String
    /// The question the bot asked `sender` in the thread `root`, if still kept.
    func question(sender: String, root: String) throws -> ChatQuestion?
    func ask(_ question: ChatQuestion) throws
    func forget(sender: String, root: String) throws

    /// Runs `text`, a command typed by `person` — already identified by the platform (Slack also looks people up by
    /// e-mail); nil when nobody is, who then gets the help and nothing else — with chat user id `chatUser`.
    func command(_ text: String, as person: Person?, chatUser: String, on platform: ChatPlatform, surface: Surface) throws -> ChatMessage
    /// A click or a submitted form, applied as the person who did it: the permission check, the compare-and-set on
    /// the alert's state (the version the message showed), the refusal recorded in the ledger, the answer to show.
    func act(_ request: ChatActRequest) throws -> ChatActOutcome
    /// Records in the ledger that a request from `chatUser` was refused before anything was looked at (another
    /// workspace or app); never fails the caller.
    func refuse(chatUser: String, on platform: ChatPlatform, surface: Surface, request: String, reason: String)
    /// What a platform's replay memory keeps, where a restart or another replica on the same database sees it too.
    var seenRequests: any SeenRequests { get }
    /// The platform's connection works (`problem` nil) or the platform refused the bot's credential: recorded as
    /// the integration's health (`/healthz`, `/metrics`, the `integration_health` control) and for `soc2bot status`.
    func connectionHealth(_ platform: ChatPlatform, problem: String?)
}

/// Where the replay memory keeps what it saw. In the bot it is the database (`StoreSeenRequests`), so a request
/// replayed after a restart, or to another process on the same database, is still refused.
package protocol SeenRequests: Sendable {
    /// Records `key` until `expires`; false when it is already recorded and has not expired (a replay).
    func firstSighting(_ key: String, now: Date, expires: Date) throws -> Bool
    /// Whether `key` is recorded and has not expired, without recording it.
    func alreadySeen(_ key: String, now: Date) throws -> Bool
}

/// A click on an alert message's button or a submitted form, as any platform's inbound code hands it to `ChatBot.act`.
package struct ChatActRequest: Sendable {
    package enum Action: Sendable, Equatable {
        case acknowledge
        case escalate
        /// The alert's history and evidence (an answer; nothing changes).
        case evidence
        /// The check before a form opens (Snooze…, Close…, Accept risk…): the alert exists, is not ended, and the
        /// person may do it, so nobody fills in a form only to be told no.
        case form(ChatAction.Kind)
        case snooze(for: TimeInterval, rationale: String)
        case acceptRisk(for: TimeInterval, rationale: String)
        case close(remediation: String, link: String?)

        /// The command a person would type for it, as the ledger records the request.
        package var command: String {
            switch self {
            case .acknowledge: ChatAction.Kind.acknowledge.command
            case .escalate: ChatAction.Kind.escalate.command
            case .evidence: ChatAction.Kind.evidence.command
            case .form(let kind): kind.command
            case .snooze: ChatAction.Kind.snooze.command
            case .acceptRisk: ChatAction.Kind.accept.command
            case .close: ChatAction.Kind.close.command
            }
        }
    }

    package var alert: AlertID
    package var action: Action
    /// Who did it, as the platform identified them; nil when nobody in the manifests is (refused and recorded).
    package var person: Person?
    /// Their chat user id (how an unidentified person is named in the ledger).
    package var chatUser: String
    package var platform: ChatPlatform
    package var surface: Surface
    /// The alert's version the message showed: a click on a stale message changes nothing.
    package var expectedVersion: Int?

    package init(alert: AlertID, action: Action, person: Person?, chatUser: String, platform: ChatPlatform, surface: Surface, expectedVersion: Int?) {
        self.alert = alert; self.action = action; self.person = person; self.chatUser = chatUser; self.platform = platform; self.surface = surface
        self.expectedVersion = expectedVersion
    }
}

/// What came of a `ChatActRequest`.
package enum ChatActOutcome: Sendable {
    /// Done; the alert's message is edited through the outbox.
    case changed
    /// Nothing to do (already in that state); why.
    case unchanged(String)
    /// Refused, and recorded in the ledger; why.
    case refused(String)
    /// An answer to show the person (the evidence, "there is no alert").
    case answer(ChatMessage)
    /// The form may open; the alert's title for its heading.
    case formReady(alertTitle: String)

    /// What the person is told (nil: nothing, the alert's message shows it).
    package var answer: ChatMessage? {
        switch self {
        case .changed, .formReady: nil
        case .unchanged(let why): .text("Nothing to do: \(why)")
        case .refused(let why): .text("Refused: \(why)")
        case .answer(let message): message
        }
    }
}

/// A question the bot asked a person in an alert's thread (Matrix's ⏰ "how long and why", ✅ "what was done"), which
/// their next reply in that thread answers.
package struct ChatQuestion: Sendable, Equatable {
    /// The person asked (their chat user id).
    package var sender: String
    /// The alert's message: the thread's root.
    package var root: String
    package var room: String
    /// What the answer completes: the command's verb (`snooze`, `close`).
    package var command: String
    /// After this the question no longer holds: a late reply is told to ask again.
    package var expiresAt: Date

    package init(sender: String, root: String, room: String, command: String, expiresAt: Date) {
        self.sender = sender; self.root = root; self.room = room; self.command = command; self.expiresAt = expiresAt
    }
}
