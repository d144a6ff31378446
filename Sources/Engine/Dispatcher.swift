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
///
/// Any replica sharing the database delivers: a pass takes the due messages with a claim (`claimOutbox`, under
/// `claimer`, for `lease`), which no other replica's pass takes while it lasts, and which keeps each alert's order per
/// platform across replicas; a replica that stops leaves claims that lapse and are taken by another. Before each
/// platform call the attempt is recorded (`beginAttempt`, renewing the claim), and every outcome is recorded only while
/// the claim is still this dispatcher's: a dispatcher that paused past its lease finds the message taken over and
/// neither sends it nor marks it. A replica stopping between a platform call and its record leaves the message to be
/// sent again once, by the next claimer: Matrix drops the resend (the same txnId), Slack may show it twice.
package actor Dispatcher {
    let database: BotDatabase
    let surfaces: [ChatPlatform: any ChatSurface]
    /// The platforms this dispatcher delivers to: one in the running bot, every served one when built alone.
    package nonisolated let delivering: Set<ChatPlatform>
    let clock: any BotClock
    let logger: Logger
    let undeliveredTo: [ChatDestination]
    let doorbell: Doorbell?
    /// The name this dispatcher holds its outbox claims under: its process's (`BotDatabase.claimer`) unless given.
    package nonisolated let claimer: String
    /// How long a claim lasts without news from its claimer, seconds: renewed before each platform call, so it must
    /// outlast one call (the HTTP client's timeouts), and it is how long another replica waits for the messages of one
    /// that stopped.
    package nonisolated let lease: TimeInterval

    /// How many messages one pass claims: a few replicas share a burst instead of the first one taking it all.
    package static let claimBatch = 100

    package init(database: BotDatabase, surfaces: [any ChatSurface], delivering: ChatPlatform? = nil, clock: any BotClock, logger: Logger,
                 undeliveredTo: [ChatDestination] = [], doorbell: Doorbell? = nil, claimer: String? = nil, lease: TimeInterval = 120) {
        self.claimer = claimer ?? database.claimer
        self.lease = lease
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
        let now = clock.now()
        // A pass with nothing due writes nothing: the claim (a write transaction, on PostgreSQL rows locked) is taken
        // only when a read of the pending messages shows one this dispatcher could claim now. The deterministic driver
        // drains every step, and most steps queue nothing.
        guard try database.read({ try mayClaim(in: $0, now: now) }) else { return 0 }
        let pending = try database.write { [delivering, claimer, lease] in
            try $0.claimOutbox(platforms: delivering, claimer: claimer, now: now, until: now.addingTimeInterval(lease), limit: Self.claimBatch)
        }
        guard !pending.isEmpty else { return 0 }
        var blockedChains = Set<Chain>()
        var blockedDestinations = Set<ChatDestination>()
        var delivered = 0
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
                let startedAt = clock.now()
                guard try database.write({ [claimer, lease] in
                    try $0.beginAttempt(message.id, claimer: claimer, at: startedAt, until: startedAt.addingTimeInterval(lease))
                }) else {
                    // Another replica took it over (this pass outlasted the claim): it delivers it and its chain.
                    if let chain { blockedChains.insert(chain) }
                    logger.notice("delivery left to another replica: claim taken over", metadata: ["outbox.id": "\(message.id)"])
                    continue
                }
                if let since = message.sendingSince {
                    logger.warning("resending a message whose claimer stopped while sending it: Slack may show it twice, Matrix drops it (same txnId)",
                                   metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)",
                                              "sending.since": "\(since)"])
                }
                let ref = try await surface.deliver(ChatDelivery(kind: message.kind, destination: message.destination, content: decoded,
                                                                 alert: message.alert, txnID: message.txnID, refs: refs))
                let at = clock.now()
                let recorded = try database.write { [claimer] tx -> Bool in
                    guard try tx.markDelivered(message.id, at: at, claimer: claimer) else { return false }
                    if let ref, let alert = message.alert { try tx.saveMessageRef(ref, alert: alert) }
                    try tx.appendEvidence(kind: "chat_delivery", subject: message.alert?.description, at: at, data: DeliveryEvidence(
                        outbox: message.id, alert: message.alert, kind: message.kind.rawValue,
                        destination: message.destination.description, message: ref?.messageID, attempts: message.attempts + 1))
                    return true
                }
                guard recorded else {
                    // Sent after the claim lapsed and another replica took it: that one's delivery is the one on record
                    // (the "at most one duplicate" on Slack; Matrix kept one event for the txnId).
                    if let chain { blockedChains.insert(chain) }
                    logger.warning("delivered after its claim was taken over by another replica: it may show twice",
                                   metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)"])
                    continue
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
                    try database.write { [claimer] tx in
                        try tx.deferPending(to: message.destination, until: now.addingTimeInterval(seconds))
                        try tx.abandonAttempt(message.id, claimer: claimer)     // nothing went out: no duplicate to fear
                    }
                    logger.debug("delivery paced", metadata: ["outbox.id": "\(message.id)", "chat.platform": "\(message.destination.platform.rawValue)", "wait": "\(error)"])
                    continue
                case .retryAfter(let seconds):
                    // The whole destination waits, not just this message: no request reaches it before Retry-After.
                    blockedDestinations.insert(message.destination)
                    if let chain { blockedChains.insert(chain) }
                    let retryAt = answeredAt.addingTimeInterval(Backoff.serverWait(seconds))
                    try database.write { tx in
                        // The destination's rows first, this one among them: replicas rate limited on one destination at
                        // once then lock its rows in the same order and cannot deadlock.
                        try tx.deferPending(to: message.destination, until: retryAt)
                        try tx.markFailed(message.id, error: error.description, retryAt: retryAt, claimer: claimer)
                    }
                case .notReady where answeredAt.timeIntervalSince(message.createdAt) < Self.notReadyLimit:
                    // Retried like an outage (the bot joining the room makes it due at once), holding back its chain.
                    if let chain { blockedChains.insert(chain) }
                    let retry = answeredAt.addingTimeInterval(Self.backoff(attempts: message.attempts + 1))
                    try database.write { [claimer] in try $0.markFailed(message.id, error: error.description, retryAt: retry, claimer: claimer) }
                case .permanent(var reason), .notReady(var reason):
                    if case .notReady = error { reason += "; given up after waiting \(Int(Self.notReadyLimit / 60)) min" }
                    if message.kind == .update, !refs.isEmpty, let alert = message.alert {
                        // The alert's message cannot be edited for good (deleted, channel archived): forget it and try
                        // once more at once, which posts the alert anew where its team is routed now. Until then
                        // its chain waits: a later edit must not post first and then be overwritten by this one.
                        if let chain { blockedChains.insert(chain) }
                        try database.write { [claimer] tx in
                            guard try tx.markFailed(message.id, error: reason, retryAt: now, claimer: claimer) else { return }
                            try tx.forgetMessageRefs(alert: alert, platform: message.destination.platform)
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
                try database.write { [claimer] in try $0.markFailed(message.id, error: String(describing: error), retryAt: retry, claimer: claimer) }
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
        let recorded = try database.write { [claimer] tx -> Bool in
            guard try tx.markUndeliverable(message.id, error: reason, claimer: claimer) else { return false }
            let payload = try StoreJSON.encode(notice)
            for destination in destinations {
                try tx.enqueue(alert: nil, kind: destination.kind == .direct ? .direct : .post, destination: destination, payload: payload, at: at)
            }
            try tx.appendEvidence(kind: "chat_undeliverable", subject: message.alert?.description, at: at, data: UndeliverableEvidence(
                outbox: message.id, alert: message.alert, kind: message.kind.rawValue, destination: message.destination.description,
                reason: reason, queuedAt: message.createdAt, attempts: message.attempts + 1, raisedTo: destinations.map(\.description)))
            return true
        }
        guard recorded else { return }     // taken over by another replica, which decides for itself
        logger.error("chat message undeliverable: given up", metadata: [
            "outbox.id": "\(message.id)", "alert.id": "\(message.alert.map(String.init(describing:)) ?? "-")",
            "chat.destination": "\(message.destination)", "error": "\(reason)", "raised.to": "\(destinations.count)"])
        if destinations.contains(where: { delivering.contains($0.platform) }) { drainAgain = true }   // deliver the notices in this drain
        if destinations.contains(where: { !delivering.contains($0.platform) }) { doorbell?.ring(.outbox) }   // and the other platforms' now
    }

    /// When the next undelivered message becomes due, if any. A message queued behind an earlier one of the same
    /// chain waits for that one, so only the first pending message of each chain counts (otherwise a failed post
    /// would make its waiting update look due and the loop would spin); a message another replica holds is due here
    /// when its claim lapses (meanwhile that replica delivers it).
    package func nextAttempt() throws -> Date? {
        try database.read { try nextAttempt(in: $0) }
    }

    /// `nextAttempt()` as `snapshot` (a read of this dispatcher's database) says.
    package nonisolated func nextAttempt(in snapshot: StoreTransaction) throws -> Date? {
        try pendingState(in: snapshot, now: clock.now()).next
    }

    /// How many pending messages `pendingState(in:now:)` reads.
    static let pendingRead = 500

    /// Whether `claimOutbox` may take a message at `now`, as `snapshot` says (`PendingState.mayClaim(at:)`).
    nonisolated func mayClaim(in snapshot: StoreTransaction, now: Date) throws -> Bool {
        try pendingState(in: snapshot, now: now).mayClaim(at: now)
    }

    /// A dispatcher's pending messages as a read found them: the earliest moment one may be claimed (nil: none
    /// pending), and whether the read was cut at `pendingRead` messages (one beyond it may be due).
    package struct PendingState: Sendable {
        package var next: Date?
        package var cut: Bool
        /// Whether `claimOutbox` may take a message at `now`: some chain's first pending message is due and free (the
        /// claim's own rule: a later message of a chain waits for its first; another claimer's lasts until it lapses).
        /// When the read was cut, a message beyond it may be due: true, so the claim decides.
        package func mayClaim(at now: Date) -> Bool { cut || next.map { $0 <= now } ?? false }
    }

    /// The pending messages of this dispatcher's platforms in `snapshot`, seen at `now`: one read (the deterministic
    /// driver asks it in the one read it shares among its works' due times).
    package nonisolated func pendingState(in snapshot: StoreTransaction, now: Date) throws -> PendingState {
        let pending = try snapshot.pendingOutbox(platforms: delivering, limit: Self.pendingRead)
        return PendingState(next: nextAttempt(among: pending, now: now), cut: pending.count >= Self.pendingRead)
    }

    /// The earliest moment one of `pending` (oldest first) may be claimed, seen at `now`.
    private nonisolated func nextAttempt(among pending: [OutboxMessage], now: Date) -> Date? {
        var seenChains = Set<Chain>()
        var next: Date?
        for message in pending {
            if let chain = Chain(message), !seenChains.insert(chain).inserted { continue }
            var due = message.nextAttemptAt
            if let holder = message.claimedBy, holder != claimer, let until = message.claimedUntil, until > now { due = max(due, until) }
            next = min(next ?? due, due)
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
