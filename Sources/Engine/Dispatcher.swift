import Chat
import Core
import Foundation
import Logging
import Store

/// Drains the outbox to the chat surfaces: at least once, in order per alert and platform, honouring each
/// platform's `Retry-After`. A message waiting for a retry holds back the later channel messages of the same alert
/// on the same platform (an edit must not overtake its post) and, when rate limited, later messages to the same
/// destination. Direct messages (escalations) neither wait for the alert's channel messages nor hold them back,
/// and a message that failed for good holds back nothing: the alert's next edit then posts it anew. A destination
/// that cannot take a message yet (`DeliveryError.notReady`: the bot not yet in its Matrix room) is retried with
/// backoff and given up for good after `notReadyLimit`. Every wait counts from the platform's answer.
///
/// A message that fails for good is news in its own right: it is recorded in the ledger (`chat_undeliverable`),
/// listed by alert in `status`, the dashboard and `/metrics`, and raised to `undeliveredTo` (the organisation's
/// default channels and the security leads, `Routing.deliveryFailureDestinations`) on every platform served here
/// but the destination that failed. A notice that cannot be delivered either is recorded but raises nothing more.
///
/// The running bot has one dispatcher per platform (`delivering`), each a service of its own (`DeliveryService`):
/// it knows every served platform (to raise a notice there) but delivers only its own, and rings the doorbell's
/// `outbox` when it queued a notice another platform's dispatcher delivers.
package actor Dispatcher {
    let database: BotDatabase
    let surfaces: [ChatPlatform: any ChatSurface]
    /// The platforms this dispatcher delivers to: one in the running bot, every served one when built alone.
    package nonisolated let delivering: Set<ChatPlatform>
    let clock: any BotClock
    let logger: Logger
    let undeliveredTo: [ChatDestination]
    let doorbell: Doorbell?

    package init(database: BotDatabase, surfaces: [any ChatSurface], delivering: ChatPlatform? = nil, clock: any BotClock, logger: Logger,
                 undeliveredTo: [ChatDestination] = [], doorbell: Doorbell? = nil) {
        self.database = database
        self.surfaces = Dictionary(surfaces.map { ($0.platform, $0) }, uniquingKeysWith: { first, _ in first })
        self.delivering = delivering.map { [$0] } ?? Set(self.surfaces.keys)
        self.clock = clock
        self.logger = logger
        self.undeliveredTo = undeliveredTo
        self.doorbell = doorbell
    }

    /// Backoff after a failed attempt without Retry-After: 2^attempts seconds, capped at 15 min, with up to
    /// 20 % jitter so a fleet of messages does not retry in lockstep.
    package static func backoff(attempts: Int, jitter: Double = Double.random(in: 0...0.2)) -> TimeInterval {
        Backoff.delay(attempt: attempts, base: 2, cap: 900) * (1 + jitter)
    }

    /// How long a message waits for a destination that cannot take it yet (`DeliveryError.notReady`: the bot not
    /// yet invited to its Matrix room) before it is given up for good, visibly, seconds.
    package static let notReadyLimit: TimeInterval = 3_600

    /// True while a drain runs; a drain asked for meanwhile makes the running one go round again instead of
    /// interleaving with it (the actor is re-entrant at every `await`, and two drains could send a message twice).
    private var draining = false
    private var drainAgain = false

    /// Delivers every message that is due now; returns how many were delivered.
    @discardableResult
    package func drain() async throws -> Int {
        if draining { drainAgain = true; return 0 }
        draining = true
        defer { draining = false }
        var delivered = 0
        repeat {
            drainAgain = false
            delivered += try await drainOnce()
        } while drainAgain
        return delivered
    }

    private func drainOnce() async throws -> Int {
        let pending = try database.read { [delivering] in try $0.pendingOutbox(platforms: delivering) }
        guard !pending.isEmpty else { return 0 }
        var blockedChains = Set<Chain>()
        var blockedDestinations = Set<ChatDestination>()
        var delivered = 0
        let now = clock.now()
        for message in pending {
            let chain = Chain(message)
            if let chain, blockedChains.contains(chain) { continue }
            if blockedDestinations.contains(message.destination) {
                if let chain { blockedChains.insert(chain) }   // nothing of its chain may overtake it
                continue
            }
            guard message.nextAttemptAt <= now, let surface = surfaces[message.destination.platform] else {
                if let chain { blockedChains.insert(chain) }
                continue
            }
            var refs: [MessageRef] = []
            var content: ChatMessage?
            do {
                let decoded = try StoreJSON.decode(ChatMessage.self, from: message.payload)
                content = decoded
                refs = try message.alert.map { id in
                    try database.read { try $0.messageRefs(alert: id) }.filter { $0.platform == surface.platform }
                } ?? []
                let ref = try await surface.deliver(ChatDelivery(kind: message.kind, destination: message.destination, content: decoded,
                                                                 alert: message.alert, txnID: message.txnID, refs: refs))
                let at = clock.now()
                try database.write { tx in
                    try tx.markDelivered(message.id, at: at)
                    if let ref, let alert = message.alert { try tx.saveMessageRef(ref, alert: alert) }
                    try tx.appendEvidence(kind: "chat_delivery", subject: message.alert?.description, at: at, data: DeliveryEvidence(
                        outbox: message.id, alert: message.alert, kind: message.kind.rawValue,
                        destination: message.destination.description, message: ref?.messageID, attempts: message.attempts + 1))
                }
                delivered += 1
            } catch let error as DeliveryError {
                // Waits count from the answer, not from the start of the pass: the deliveries before this one took time.
                let answeredAt = clock.now()
                switch error {
                case .paced(let seconds):
                    // The surface's own pacing: not a failure (no attempt counted, no error kept); the destination
                    // waits its turn.
                    blockedDestinations.insert(message.destination)
                    if let chain { blockedChains.insert(chain) }
                    try database.write { try $0.deferPending(to: message.destination, until: now.addingTimeInterval(seconds)) }
                    logger.debug("delivery paced", metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)", "wait": "\(error)"])
                    continue
                case .retryAfter(let seconds):
                    // The whole destination waits, not just this message: no request reaches it before Retry-After.
                    blockedDestinations.insert(message.destination)
                    if let chain { blockedChains.insert(chain) }
                    let retryAt = answeredAt.addingTimeInterval(Backoff.serverWait(seconds))
                    try database.write { tx in
                        try tx.markFailed(message.id, error: error.description, retryAt: retryAt)
                        try tx.deferPending(to: message.destination, until: retryAt)
                    }
                case .notReady where answeredAt.timeIntervalSince(message.createdAt) < Self.notReadyLimit:
                    // Retried like an outage (the bot joining the room makes it due at once), holding back its chain.
                    if let chain { blockedChains.insert(chain) }
                    let retry = answeredAt.addingTimeInterval(Self.backoff(attempts: message.attempts + 1))
                    try database.write { try $0.markFailed(message.id, error: error.description, retryAt: retry) }
                case .permanent(var reason), .notReady(var reason):
                    if case .notReady = error { reason += "; given up after waiting \(Int(Self.notReadyLimit / 60)) min" }
                    if message.kind == .update, !refs.isEmpty, let alert = message.alert {
                        // The alert's message cannot be edited for good (deleted, channel archived): forget it and try
                        // once more at once, which posts the alert anew where its team is routed now. Until then
                        // its chain waits: a later edit must not post first and then be overwritten by this one.
                        if let chain { blockedChains.insert(chain) }
                        try database.write { tx in
                            try tx.forgetMessageRefs(alert: alert, platform: message.destination.platform)
                            try tx.markFailed(message.id, error: reason, retryAt: now)
                        }
                    } else {
                        // Not retried: kept undelivered with the reason, listed and raised (`giveUp`). It holds back
                        // nothing: a later edit of the alert finds no message and posts one.
                        try giveUp(message, content: content, reason: reason)
                    }
                }
                logger.warning("delivery failed", metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)", "error": "\(error)"])
            } catch {
                if let chain { blockedChains.insert(chain) }
                let retry = clock.now().addingTimeInterval(Self.backoff(attempts: message.attempts + 1))
                try database.write { try $0.markFailed(message.id, error: String(describing: error), retryAt: retry) }
                logger.warning("delivery failed", metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)", "error": "\(error)"])
            }
        }
        return delivered
    }

    /// Gives up on `message` for good: kept undelivered with `reason` (listed by `status`, the dashboard and
    /// `/metrics`), recorded in the ledger and raised to `undeliveredTo` in the same transaction — unless it is itself
    /// such a notice, so a notice that cannot be delivered raises no other and nothing loops.
    private func giveUp(_ message: OutboxMessage, content: ChatMessage?, reason: String) throws {
        let at = clock.now()
        let destinations = content?.purpose == .undelivered ? [] : undeliveredTo.filter { $0 != message.destination && surfaces[$0.platform] != nil }
        let notice = AlertMessage.undelivered(alert: message.alert, kind: message.kind, destination: message.destination, reason: reason,
                                              since: message.createdAt)
        try database.write { tx in
            try tx.markUndeliverable(message.id, error: reason)
            let payload = try StoreJSON.encode(notice)
            for destination in destinations {
                try tx.enqueue(alert: nil, kind: destination.kind == .direct ? .direct : .post, destination: destination, payload: payload, at: at)
            }
            try tx.appendEvidence(kind: "chat_undeliverable", subject: message.alert?.description, at: at, data: UndeliverableEvidence(
                outbox: message.id, alert: message.alert, kind: message.kind.rawValue, destination: message.destination.description,
                reason: reason, queuedAt: message.createdAt, attempts: message.attempts + 1, raisedTo: destinations.map(\.description)))
        }
        logger.error("chat message undeliverable: given up", metadata: [
            "outbox.id": "\(message.id)", "alert.id": "\(message.alert.map(String.init(describing:)) ?? "-")",
            "chat.destination": "\(message.destination)", "error": "\(reason)", "raised.to": "\(destinations.count)"])
        if destinations.contains(where: { delivering.contains($0.platform) }) { drainAgain = true }   // deliver the notices in this drain
        if destinations.contains(where: { !delivering.contains($0.platform) }) { doorbell?.ring(.outbox) }   // and the other platforms' now
    }

    /// When the next undelivered message becomes due, if any. A message queued behind an earlier one of the same
    /// chain waits for that one, so only the first pending message of each chain counts (otherwise a failed post
    /// would make its waiting update look due and the loop would spin).
    package func nextAttempt() throws -> Date? {
        try database.read { try nextAttempt(in: $0) }
    }

    /// `nextAttempt()` as `snapshot` (a read of this dispatcher's database) says: the deterministic driver asks it in
    /// the one read it shares among its works' due times.
    package nonisolated func nextAttempt(in snapshot: StoreTransaction) throws -> Date? {
        var seenChains = Set<Chain>()
        var next: Date?
        for message in try snapshot.pendingOutbox(platforms: delivering) {
            if let chain = Chain(message), !seenChains.insert(chain).inserted { continue }
            next = min(next ?? message.nextAttemptAt, message.nextAttemptAt)
        }
        return next
    }

    /// The messages that must arrive in order: an alert's channel messages on one platform (its post, then its
    /// edits). Direct messages and messages without an alert belong to no chain.
    struct Chain: Hashable {
        let alert: AlertID
        let platform: ChatPlatform

        init?(_ message: OutboxMessage) {
            guard let alert = message.alert, message.kind != .direct else { return nil }
            self.alert = alert; self.platform = message.destination.platform
        }
    }
}
