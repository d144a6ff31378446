import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Reports
import Store
import Testing
import TestSupport

/// The alert lifecycle in Matrix, against the real Synapse scripts/test starts: the bot account and people are
/// registered, the team room is created by a person who invites the bot, and everything goes through the
/// homeserver — the alert notice, commands, thread replies, reactions, edits, the escalation DM, refusals.
@Suite("Matrix end to end on Synapse", .serialized)
struct MatrixEndToEndTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)

    /// A bot on Synapse with its team room, and the people in it.
    struct World {
        let server: SynapseTestServer
        let bot: MatrixTestUser
        let dana: MatrixTestUser      // infra engineer
        let sam: MatrixTestUser       // infra manager: escalation DMs
        let eve: MatrixTestUser       // payments: not allowed on infra's alerts
        let room: String
        let config: BotConfig
        let engine: AlertEngine
        let clock: VirtualClock
        let client: MatrixClient
        let dispatcher: Dispatcher
        let inbound: MatrixInbound
        /// Between the bot and Synapse: refuses sends with M_LIMIT_EXCEEDED when a test asks it to.
        let throttle: ThrottlingTransport

        /// - Parameters:
        ///   - invited: dana invites the bot to the room (else the room is one the bot cannot join).
        ///   - joined: the bot's first sync runs here and joins the room it was invited to (else the bot has not synced).
        ///   - start: the bot's clock at start.
        static func make(database: BotDatabase? = nil, invited: Bool = true, joined: Bool = true, start: Date = MatrixEndToEndTests.t0) async throws -> World {
            let server = try SynapseTestServer()
            let bot = try await server.register(localpart: "soc2bot")
            let dana = try await server.register(localpart: "dana")
            let sam = try await server.register(localpart: "sam")
            let eve = try await server.register(localpart: "eve")
            let room = try await dana.createRoom(name: "infra-alerts")
            for person in invited ? [bot, eve] : [eve] { try await dana.invite(person.userID, to: room) }
            try await eve.join(room)
            let config = BotConfig(
                organisation: "Northwind",
                people: [
                    Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", manager: "sam", chatIDs: [.matrix: dana.userID]),
                    Person(id: "sam", name: "Sam", email: "sam@example.com", team: "infra", chatIDs: [.matrix: sam.userID]),
                    Person(id: "eve", name: "Eve", email: "eve@example.com", team: "payments", chatIDs: [.matrix: eve.userID]),
                ],
                teams: [Team(id: "infra", name: "Infrastructure", manager: "sam", channels: ChannelRoutes(defaults: [.matrix: room])),
                        Team(id: "payments", name: "Payments", channels: ChannelRoutes(defaults: [.matrix: "!elsewhere:localhost"]))],
                securityLeads: ["sam"],
                policy: EscalationPolicy(ackTimeout: [.high: 3_600], sla: [.high: 86_400], maxSnooze: 14 * 86_400,
                                         maxRiskAcceptance: 180 * 86_400, levels: [.teamChannel, .teamManager, .securityLeads]),
                controls: [Control(id: "bucket-encryption", title: "Customer buckets encrypted", criteria: [Criterion("CC6.1")!], owner: "infra",
                                   severity: .high, cadence: 3_600, check: CheckSpec(type: "storage_encryption"),
                                   remediation: "Enable default encryption (SSE-KMS).")],
                chat: ChatConfig(matrix: .init(homeserver: server.baseURL.absoluteString, userID: bot.userID, accessTokenVariable: "MATRIX_ACCESS_TOKEN")))
            let engine = AlertEngine(config: config, database: try database ?? BotDatabase.inMemory())
            let clock = VirtualClock(start: start)
            let throttle = ThrottlingTransport(base: URLSessionTransport())
            let client = MatrixClient(homeserver: server.baseURL, accessToken: bot.accessToken, transport: throttle)
            let dispatcher = Dispatcher(database: engine.database, surfaces: [MatrixSurface(client: client, userID: bot.userID)], clock: clock, logger: logger)
            let world = World(server: server, bot: bot, dana: dana, sam: sam, eve: eve, room: room, config: config, engine: engine,
                              clock: clock, client: client, dispatcher: dispatcher, inbound: listener(engine: engine, client: client, userID: bot.userID, clock: clock),
                              throttle: throttle)
            if joined {
                // The first sync sees the invite to a room the manifests name, and joins it.
                try await world.inbound.syncOnce(timeout: 0)
                #expect(try await world.botIsMember())
            }
            return world
        }

        /// The bot's Matrix listener on `engine`'s database (a new one is the listener of a restarted bot).
        static func listener(engine: AlertEngine, client: MatrixClient, userID: String, clock: VirtualClock) -> MatrixInbound {
            MatrixInbound(client: client, userID: userID, commands: CommandHandler(engine: engine, clock: clock),
                          doorbell: Doorbell(), logger: logger, wireClock: SystemClock(), pollTimeout: 200)
        }

        func botIsMember() async throws -> Bool {
            try await dana.messages(in: room).contains { $0.type == "m.room.member" && $0.sender == bot.userID && $0.content["membership"]?.stringValue == "join" }
        }

        /// Fails the control for `count` buckets (one alert each) at the clock's time.
        func fail(buckets count: Int) throws {
            try engine.reconcile(config.controls[0], results: (1...count).map { i in
                CheckResult(resource: ResourceRef(id: "bucket-\(i)", name: "bucket-\(i)", kind: "bucket"), status: .fail,
                            expected: "encrypted", observed: "no default encryption")
            }, at: clock.now())
        }

        /// Fails the control and delivers: the alert's event id.
        func fail() async throws -> String {
            try engine.reconcile(config.controls[0], results: [CheckResult(resource: ResourceRef(id: "customer-exports", name: "customer-exports", kind: "bucket"),
                                                                           status: .fail, expected: "encrypted", observed: "no default encryption")],
                                 at: clock.now())
            try await dispatcher.drain()
            return try #require(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.first?.messageID)
        }

        func alert() throws -> Alert? { try engine.database.read { try $0.alert(AlertID(1)) } }

        /// Syncs until `condition` holds (a few rounds: Synapse may need a moment to make an event visible).
        func sync(until condition: () throws -> Bool) async throws -> Bool {
            try await sync(inbound, until: condition)
        }

        /// Syncs `listener` until `condition` holds.
        func sync(_ listener: MatrixInbound, until condition: () throws -> Bool) async throws -> Bool {
            for _ in 0..<20 {
                try await listener.syncOnce(timeout: 200)
                if try condition() { return true }
            }
            return try condition()
        }

        /// Syncs, then delivers what the bot queued (its answers) until `condition` holds of the room's events.
        func answered(_ condition: ([MatrixTestEvent]) -> Bool) async throws -> Bool {
            for _ in 0..<20 {
                try await inbound.syncOnce(timeout: 200)
                try await dispatcher.drain()
                if condition(try await dana.messages(in: room, limit: 100)) { return true }
            }
            return false
        }

        /// The bot's notices in the room (newest first).
        func botEvents() async throws -> [MatrixTestEvent] {
            try await dana.messages(in: room, limit: 100).filter { $0.sender == bot.userID && $0.type == "m.room.message" }
        }
    }

    @Test func anAlertIsAcknowledgedByThreadReplyAndSnoozedByReaction() async throws {
        let world = try await World.make()
        let alertEvent = try await world.fail()
        let posted = try await world.dana.event(alertEvent, in: world.room)
        #expect(posted.msgtype == "m.notice" && posted.sender == world.bot.userID)
        #expect(posted.content["format"]?.stringValue == "org.matrix.custom.html")
        #expect(posted.body?.contains("Customer buckets encrypted") == true)

        // dana answers in the alert's thread without naming it
        try await world.dana.sendText("!soc2 ack", to: world.room, thread: alertEvent)
        #expect(try await world.sync { try world.alert()?.state == .acknowledged })
        try await world.dispatcher.drain()
        let edits = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.replace")
        #expect(edits.count == 1)
        #expect(edits.first?.content["m.new_content"]?["body"]?.stringValue?.contains("acknowledged") == true)
        let thread = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.thread")
        #expect(thread.contains { $0.sender == world.bot.userID && ($0.body ?? "").contains("dana") && ($0.body ?? "").contains("acknowledge") })
        #expect(thread.contains { $0.sender == world.bot.userID && ($0.body ?? "").contains("is now acknowledged") }, "the command's own answer")

        // ⏰ asks in the thread; dana's next reply there supplies duration and rationale
        try await world.dana.react(to: alertEvent, key: "⏰️", in: world.room)
        #expect(try await world.sync { true })
        try await world.dispatcher.drain()
        let asked = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.thread")
        #expect(asked.contains { ($0.body ?? "").contains("how long and why") })
        try await world.dana.sendText("2d waiting for the vendor's fix", to: world.room, thread: alertEvent)
        #expect(try await world.sync { try world.alert()?.state == .snoozed })
        #expect(try world.alert()?.rationale == "waiting for the vendor's fix")
        try await world.dispatcher.drain()
        let latest = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.replace")
        #expect(latest.count == 2, "every change edits the original, never an edit")
        #expect(latest.allSatisfy { $0.relatesTo?["event_id"]?.stringValue == alertEvent })
        #expect(try world.engine.database.read { try $0.cursor(MatrixInbound.cursorName) } != nil, "next_batch is saved")
    }

    @Test func otherTeamsAreRefusedAndUnknownCommandsGetHelp() async throws {
        let world = try await World.make()
        let alertEvent = try await world.fail()
        // eve (payments) reacts 👀 on infra's alert: refused in the thread, recorded, nothing changes
        try await world.eve.react(to: alertEvent, key: "👀", in: world.room)
        #expect(try await world.sync { true })
        try await world.dispatcher.drain()
        let thread = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.thread")
        #expect(thread.contains { ($0.body ?? "").contains("Refused") && ($0.body ?? "").contains("belongs to team infra") })
        #expect(try world.alert()?.state == .open)

        let unknown = try await world.dana.sendText("!soc2 frobnicate", to: world.room)
        #expect(try await world.sync { true })
        try await world.dispatcher.drain()
        let answers = try await world.botEvents()
        #expect(answers.contains { ($0.body ?? "").contains("!soc2 status") && $0.relatesTo?["m.in_reply_to"]?["event_id"]?.stringValue == unknown })

        // Ignored: edits of people's messages, reactions on events that are not alerts, m.notices, huge bodies
        let chatter = try await world.dana.sendText("lunch?", to: world.room)
        try await world.dana.send(.object(["msgtype": .string("m.text"), "body": .string("* !soc2 ack A-1"),
                                           "m.new_content": .object(["msgtype": .string("m.text"), "body": .string("!soc2 ack A-1")]),
                                           "m.relates_to": .object(["rel_type": .string("m.replace"), "event_id": .string(chatter)])]), to: world.room)
        try await world.dana.react(to: chatter, key: "👀", in: world.room)
        try await world.dana.send(.object(["msgtype": .string("m.notice"), "body": .string("!soc2 ack A-1")]), to: world.room)
        try await world.dana.sendText("!soc2 ack A-1 " + String(repeating: "x", count: 20_000), to: world.room)
        try await world.dana.send(.object(["msgtype": .string("m.file"), "body": .string("!soc2 ack A-1")]), to: world.room)
        try await world.dana.send(.object(["body": .string("!soc2 ack A-1")]), type: "org.example.custom", to: world.room)
        #expect(try await world.sync { true })
        #expect(try world.alert()?.state == .open)
        let ledger = try world.engine.database.read { try $0.evidence(subject: "A-1") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(ledger.filter { $0.contains("\"human_action\"") && $0.contains("refused") }.count == 1, "eve's refusal, and nothing from what was ignored")
    }

    /// The bot's transport gives an exchange 30 s by default and its `/sync` long poll is held 30 s by the server:
    /// the poll must be given longer than it is held, or every quiet poll is a "timed out" failure and its backoff.
    @Test func aQuietLongPollOutlastsTheTransportsDefaultTimeout() async throws {
        let server = try SynapseTestServer()
        let user = try await server.register(localpart: "poller")
        let client = MatrixClient(homeserver: server.baseURL, accessToken: user.accessToken, transport: URLSessionTransport(timeout: 1))
        let first = try await client.sync(since: nil, filter: nil, timeout: 0)
        let since = try #require(first.nextBatch)
        // Nothing happens for the user: Synapse holds the request the whole 2.5 s, longer than the transport's 1 s.
        let quiet = try await client.sync(since: since, filter: nil, timeout: 2_500)
        #expect(quiet.nextBatch?.isEmpty == false)
    }

    @Test func theManagerIsDirectMessagedOnceAndTheRoomIsReused() async throws {
        let world = try await World.make()
        _ = try await world.fail()
        world.clock.advance(by: 3_601)   // the ack timeout passes: sam is told
        try world.engine.fireTimers(at: world.clock.now())
        try await world.dispatcher.drain()
        let direct = try #require(try await world.bot.accountData("m.direct"))
        guard case .array(let rooms) = direct[world.sam.userID] ?? .array([]), let first = rooms.first?.stringValue else {
            Issue.record("no m.direct room for sam: \(direct)")
            return
        }
        try await world.sam.join(first)
        #expect(try await world.sam.messages(in: first).contains { $0.sender == world.bot.userID && ($0.body ?? "").contains("escalated to you") })

        // The SLA passes too: the next DM (to the security lead, sam again) reuses the same room.
        world.clock.advance(by: 86_400)
        try world.engine.fireTimers(at: world.clock.now())
        try await world.dispatcher.drain()
        guard case .array(let after) = try await world.bot.accountData("m.direct")?[world.sam.userID] ?? .array([]) else { return }
        #expect(after.count == 1)
    }

    /// A surface that delivers, then "dies" before the dispatcher can record the delivery — as a SIGKILL between
    /// the homeserver's answer and the database commit would.
    actor DyingAfterSend: ChatSurface {
        nonisolated let platform: ChatPlatform = .matrix
        let inner: MatrixSurface
        var deaths: Int
        init(_ inner: MatrixSurface, deaths: Int) { self.inner = inner; self.deaths = deaths }
        struct Died: Error {}
        func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
            let ref = try await inner.deliver(delivery)
            if deaths > 0 { deaths -= 1; throw Died() }
            return ref
        }
    }

    @Test func aDeliveryInterruptedAfterSendingIsRetriedWithoutADuplicate() async throws {
        let world = try await World.make()
        try world.engine.reconcile(world.config.controls[0], results: [CheckResult(
            resource: ResourceRef(id: "customer-exports", name: "customer-exports", kind: "bucket"), status: .fail,
            expected: "encrypted", observed: "no default encryption")], at: world.clock.now())
        let dying = DyingAfterSend(MatrixSurface(client: world.client, userID: world.bot.userID), deaths: 1)
        let first = Dispatcher(database: world.engine.database, surfaces: [dying], clock: world.clock, logger: Self.logger)
        try await first.drain()
        #expect(try world.engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.isEmpty, "the delivery was not recorded")

        // "Restarted": a new dispatcher and surface retry the same outbox row, with the same txnId.
        world.clock.advance(by: 3_600)
        let restarted = Dispatcher(database: world.engine.database, surfaces: [MatrixSurface(client: world.client, userID: world.bot.userID)],
                                   clock: world.clock, logger: Self.logger)
        try await restarted.drain()
        let ref = try #require(try world.engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.first)
        let notices = try await world.botEvents().filter { ($0.body ?? "").contains("Customer buckets encrypted") }
        #expect(notices.map(\.eventID) == [ref.messageID], "one notice in the room: the retry returned the first event")
        #expect(try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.isEmpty)
    }

    /// The weekly digest's chart reaches the room as an image: uploaded to Synapse's content repository, posted as
    /// `m.image` with its size, and downloadable by a member as the very bytes the bot drew.
    @Test func theDigestChartArrivesAsAnImageMembersCanDownload() async throws {
        let world = try await World.make()
        _ = try await world.fail()
        var config = world.config
        config.digest = DigestSchedule(weekday: 1, hour: 9, leadership: [.matrix: world.room])
        let digest = DigestWork(engine: AlertEngine(config: config, database: world.engine.database), start: Self.t0)
        world.clock.advance(by: 3_600)   // Monday 09:00
        try await digest.run(at: world.clock.now())
        try await world.dispatcher.drain()

        let events = try await world.botEvents()
        // The room is both the team's and leadership's: the team's chart, then the organisation's (newest first here).
        #expect(events.filter { $0.msgtype == "m.image" }.compactMap { $0.content["filename"]?.stringValue }
            == ["soc2-trend-organisation-2026-03-02.png", "soc2-trend-infra-2026-03-02.png"])
        let image = try #require(events.first { $0.msgtype == "m.image" }, "no m.image from the bot")
        #expect(events.contains { $0.msgtype == "m.notice" && ($0.body ?? "").hasPrefix("Weekly SOC 2 digest — Northwind") })
        #expect(image.content["filename"]?.stringValue == "soc2-trend-organisation-2026-03-02.png")
        #expect(image.content["info"]?["mimetype"]?.stringValue == "image/png")
        #expect((image.body ?? "").hasPrefix("Northwind: open risk, MTTD and MTTR over the last 12 weeks — Open alerts 0 → 1"))
        let uri = try #require(image.content["url"]?.stringValue)
        #expect(uri.hasPrefix("mxc://"))

        // A member downloads it (authenticated media, client API v1).
        let media = uri.dropFirst("mxc://".count).split(separator: "/")
        let url = world.server.baseURL.appendingPathComponent("_matrix/client/v1/media/download/\(media[0])/\(media[1])")
        let download = try await URLSessionTransport().send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(world.dana.accessToken)")]))
        #expect(download.status == 200)
        #expect(download.body.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(image.content["info"]?["size"] == .number(Double(download.body.count)))
        let drawn = try world.engine.database.read { try WeeklyDigest.build(config: config, store: $0, now: world.clock.now()) }
            .messages.compactMap(\.message.image).first { $0.filename == "soc2-trend-organisation-2026-03-02.png" }
        #expect(drawn?.data == download.body, "the bytes in the room are the bytes the bot drew")
    }

    // MARK: First start, fresh databases, restarts, rate limits

    /// docs/matrix.md "Set it up": rooms created, the bot invited, `soc2bot run` on a new database. The dispatcher may
    /// post before the first sync has joined the rooms: Synapse refuses a non-member's event (M_FORBIDDEN), and every
    /// such alert used to be given up for good.
    @Test func onAFirstStartEveryAlertArrivesThoughTheBotHadNotJoinedYet() async throws {
        let world = try await World.make(joined: false)
        #expect(try await !world.botIsMember())
        try world.fail(buckets: 10)
        try await world.dispatcher.drain()

        #expect(try await world.botIsMember(), "the bot joined the room it was invited to")
        let notices = try await world.botEvents().filter { $0.msgtype == "m.notice" && ($0.body ?? "").contains("Customer buckets encrypted") }
        #expect(notices.count == 10)
        #expect(try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.isEmpty)
        #expect(try world.engine.database.read { try $0.allOutbox() }.allSatisfy { $0.deliveredAt != nil })
    }

    /// The bot not invited yet: the alert waits (visibly failing) instead of being given up, and goes out as soon as
    /// the bot, invited meanwhile, joins.
    @Test func anAlertWaitsForTheInviteAndArrivesOnceTheBotJoins() async throws {
        let world = try await World.make(invited: false, joined: false)
        try world.fail(buckets: 1)
        #expect(try await world.dispatcher.drain() == 0)
        let waiting = try #require(try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.first)
        #expect(waiting.lastError?.contains("invite \(world.bot.userID) to the room") == true, "\(waiting.lastError ?? "")")

        try await world.dana.invite(world.bot.userID, to: world.room)
        #expect(try await world.sync { try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.first?.nextAttemptAt ?? .distantFuture <= world.clock.now() },
                "joining makes the waiting alert due at once")
        #expect(try await world.dispatcher.drain() == 1)
        #expect(try await world.botEvents().contains { ($0.body ?? "").contains("Customer buckets encrypted") })
    }

    /// A room the bot can never join (not invited, or a wrong room id) ends as a clear failure, not a retry for ever.
    @Test func aRoomTheBotCannotJoinEndsAsAVisibleFailure() async throws {
        let world = try await World.make(invited: false, joined: false)
        try world.fail(buckets: 1)
        try await world.dispatcher.drain()
        #expect(try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.count == 1, "not given up at the first refusal")

        var rounds = 0
        while let next = try await world.dispatcher.nextAttempt(), rounds < 100 {
            world.clock.advance(to: next)
            try await world.dispatcher.drain()
            rounds += 1
        }
        #expect(try await world.dispatcher.nextAttempt() == nil, "given up")
        #expect(world.clock.now() >= Self.t0 + Dispatcher.notReadyLimit)
        let failed = try #require(try world.engine.database.read { try $0.allOutbox() }.first)
        #expect(failed.deliveredAt == nil)
        #expect(failed.lastError?.contains("cannot join it") == true && failed.lastError?.contains("given up after waiting 60 min") == true,
                "\(failed.lastError ?? "")")
        #expect(try world.engine.database.read { try $0.outboxFailing() } == 1, "counted as a delivery failure")
    }

    /// Synapse answers `/sync` from a 2-minute response cache keyed by user, device, since, timeout and filter id,
    /// and gives an identical filter the same id: a new database's first sync, sent within that window, used to get
    /// the previous run's answer, whose old next_batch then replayed that run's commands.
    @Test func aFreshDatabaseDoesNotReplayThePreviousRunsCommands() async throws {
        let world = try await World.make()
        try world.fail(buckets: 1)
        try await world.dana.sendText("!soc2 ack A-1", to: world.room)
        #expect(try await world.sync { try world.alert()?.state == .acknowledged })

        // The bot starts again, on a new database, with the same account and device, within two minutes.
        let fresh = AlertEngine(config: world.config, database: try BotDatabase.inMemory())
        try fresh.reconcile(world.config.controls[0], results: [CheckResult(
            resource: ResourceRef(id: "bucket-1", name: "bucket-1", kind: "bucket"), status: .fail, expected: "encrypted",
            observed: "no default encryption")], at: world.clock.now())
        let restarted = World.listener(engine: fresh, client: world.client, userID: world.bot.userID, clock: world.clock)
        try await restarted.syncOnce(timeout: 0)
        try await world.dana.sendText("lunch?", to: world.room)   // something new, so the next syncs see a batch
        #expect(try await world.sync(restarted) { try fresh.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.contains { $0.kind == .reply } } == false,
                "nothing answered")
        #expect(try fresh.database.read { try $0.alert(AlertID(1)) }?.state == .open, "the previous run's ack was not applied again")
    }

    /// Whatever the first sync of a new database returns, events sent before the bot first listened on it are
    /// history: here its first sync is made to start from a position before a command (as a cached answer would).
    @Test func eventsFromBeforeTheBotFirstListenedOnADatabaseAreNotActedOn() async throws {
        let world = try await World.make()
        try world.fail(buckets: 1)
        let before = try #require(try await world.bot.sync()["next_batch"]?.stringValue)
        try await world.dana.sendText("!soc2 ack A-1", to: world.room)
        #expect(try await world.sync { try world.alert()?.state == .acknowledged })

        // A new database, first started after that command (the clock reads Synapse's time), whose first sync
        // starts before it.
        let fresh = AlertEngine(config: world.config, database: try BotDatabase.inMemory())
        let clock = VirtualClock(start: Date())
        try fresh.reconcile(world.config.controls[0], results: [CheckResult(
            resource: ResourceRef(id: "bucket-1", name: "bucket-1", kind: "bucket"), status: .fail, expected: "encrypted",
            observed: "no default encryption")], at: clock.now())
        try fresh.database.write { try $0.setCursor(MatrixInbound.cursorName, before) }
        let restarted = World.listener(engine: fresh, client: world.client, userID: world.bot.userID, clock: clock)
        try await restarted.syncOnce(timeout: 0)
        #expect(try fresh.database.read { try $0.alert(AlertID(1)) }?.state == .open)
        #expect(try fresh.database.read { try $0.cursor(MatrixInbound.listeningSinceCursor) } == String(clock.now().timeIntervalSince1970))
    }

    /// ⏰ asks in the thread for how long and why; the person answers after the bot restarted. The question was
    /// held in memory and the answer silently ignored; it is kept in the database, with an expiry.
    @Test func aQuestionInTheThreadIsStillAnsweredAfterARestartAndExpires() async throws {
        let world = try await World.make()
        let alertEvent = try await world.fail()
        try await world.dana.react(to: alertEvent, key: "⏰", in: world.room)
        #expect(try await world.sync { true })

        // Restarted: a new listener on the same database.
        let restarted = World.listener(engine: world.engine, client: world.client, userID: world.bot.userID, clock: world.clock)
        try await world.dana.sendText("2d waiting for the vendor's fix", to: world.room, thread: alertEvent)
        #expect(try await world.sync(restarted) { try world.alert()?.state == .snoozed })
        #expect(try world.alert()?.rationale == "waiting for the vendor's fix")

        // ✅ asks what was done; answered a day and more later, the question has expired: nothing changes, and the
        // answer says what to do.
        try await world.dana.react(to: alertEvent, key: "✅", in: world.room)
        #expect(try await world.sync(restarted) { true })
        world.clock.advance(by: MatrixInbound.promptLifetime + 1)
        let late = try await world.dana.sendText("rotated the key", to: world.room, thread: alertEvent)
        #expect(try await world.sync(restarted) {
            try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.contains { $0.txnID == "soc2bot-reply-\(late)" }
        })
        try await world.dispatcher.drain()
        #expect(try world.alert()?.state == .snoozed)
        let thread = try await world.dana.relations(of: alertEvent, in: world.room, relType: "m.thread")
        #expect(thread.contains { $0.sender == world.bot.userID && ($0.body ?? "").contains("That question expired") && ($0.body ?? "").contains("!soc2 close") })
    }

    /// A command's answer refused by the homeserver's rate limit used to be dropped ("reply not sent"): it is held
    /// in the outbox, waits out `retry_after_ms`, and arrives — also when delivered by a restarted bot.
    @Test func aCommandsAnswerWaitsOutTheRateLimitAndArrives() async throws {
        let world = try await World.make()
        world.throttle.limitSends(count: 1, retryAfterMs: 2_000)
        let help = try await world.dana.sendText("!soc2 help", to: world.room)
        #expect(try await world.sync { try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.count == 1 })
        try await world.dispatcher.drain()
        #expect(world.throttle.throttled == 1)
        let held = try #require(try world.engine.database.read { try $0.pendingOutbox(platforms: [.matrix]) }.first)
        #expect(held.kind == .reply && held.nextAttemptAt == world.clock.now() + 2)

        world.clock.advance(by: 2)
        let restarted = Dispatcher(database: world.engine.database, surfaces: [MatrixSurface(client: world.client, userID: world.bot.userID)],
                                   clock: world.clock, logger: Self.logger)
        #expect(try await restarted.drain() == 1)
        let answer = try #require(try await world.botEvents().first { $0.relatesTo?["m.in_reply_to"]?["event_id"]?.stringValue == help })
        #expect((answer.body ?? "").contains("!soc2 status"))
        #expect(answer.content["m.mentions"]?["user_ids"] == .array([.string(world.dana.userID)]))
    }

    /// Retry-After counts from the 429 answer, not from the start of the delivery pass: on a slow homeserver the
    /// deliveries before it took time, and a wait counted from the pass's start ended before it began.
    @Test func retryAfterCountsFromTheAnswerNotFromTheStartOfThePass() async throws {
        let world = try await World.make()
        try world.fail(buckets: 3)
        world.throttle.limitSends(after: 2, count: 1, retryAfterMs: 5_000)
        let clock = world.clock
        world.throttle.afterEachExchange { clock.advance(by: 10) }   // every exchange takes 10 s
        let passStart = world.clock.now()
        #expect(try await world.dispatcher.drain() == 2)
        world.throttle.afterEachExchange(nil)
        let answeredAt = passStart + 30
        #expect(world.clock.now() == answeredAt)
        #expect(try await world.dispatcher.nextAttempt() == answeredAt + 5)
        #expect(try await world.dispatcher.drain() == 0, "not before the wait is over")
        world.clock.advance(by: 5)
        #expect(try await world.dispatcher.drain() == 1)
        #expect(world.throttle.throttled == 1)
    }

    /// A replica that sent the alert's notice and stopped before recording it leaves the message to another replica
    /// once its lease lapses; that one sends it again with the same txnId, and Synapse keeps one event: Matrix shows
    /// each message once, whichever replica delivers it. (Two dispatchers under their own claimer names on one
    /// database stand for two replicas: the claim rule is the same on both stores.)
    @Test func aNoticeResentByAnotherReplicaAfterAStoppedOneIsOneEvent() async throws {
        let world = try await World.make()
        try world.fail(buckets: 1)
        let surface = RecordingSurface(forwardingTo: MatrixSurface(client: world.client, userID: world.bot.userID))
        let first = Dispatcher(database: world.engine.database, surfaces: [surface], clock: world.clock, logger: Self.logger,
                               claimer: "replica-a", lease: 60)
        let second = Dispatcher(database: world.engine.database, surfaces: [surface], clock: world.clock, logger: Self.logger,
                                claimer: "replica-b", lease: 60)

        // Given the first replica's send reaching Synapse, then the replica stopping before it records it
        await surface.holdNext()
        async let stalled = first.drain()
        await surface.waitUntilHeld()
        #expect(try await second.drain() == 0)

        // When its lease lapses, the second replica sends it again, with the same txnId
        world.clock.advance(by: 60)
        #expect(try await second.drain() == 1)
        await surface.release()
        #expect(try await stalled == 0)
        let txnIDs = await surface.txnIDs
        #expect(txnIDs.count == 2 && txnIDs[0] == txnIDs[1])

        // Then the room has the notice once, and it is the alert's message on record
        let notices = try await world.botEvents()
        #expect(notices.count == 1)
        #expect(try world.engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == notices.map(\.eventID))
    }
}
