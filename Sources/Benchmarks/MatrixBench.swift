import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Store

/// The Matrix round trip on a loopback Synapse (started by scripts/bench-matrix): a person sends `!soc2 ack A-n`;
/// the bot's `/sync` loop sees it, acknowledges the alert, and its dispatcher edits the alert's notice. Timed from
/// just before the person's send to the moment the person's own `/sync` (long-poll) shows the bot's `m.replace`
/// of that alert — what a person waits for. One command at a time.
func benchMatrix(commands count: Int) async throws -> [BenchRow] {
    let environment = ProcessInfo.processInfo.environment
    guard let base = environment["SOC2BOT_BENCH_MATRIX_URL"].flatMap(URL.init(string:)),
          let botUser = environment["SOC2BOT_BENCH_MATRIX_BOT"], let botPassword = environment["SOC2BOT_BENCH_MATRIX_BOT_PASSWORD"],
          let personUser = environment["SOC2BOT_BENCH_MATRIX_PERSON"], let personPassword = environment["SOC2BOT_BENCH_MATRIX_PERSON_PASSWORD"] else {
        require(false, "the matrix benchmark needs a Synapse and two accounts: run scripts/bench-matrix")
        return []
    }
    let transport = URLSessionTransport()
    let (bot, botID) = try await MatrixClient.login(homeserver: base, user: botUser, password: botPassword, deviceID: "SOC2BOT", transport: transport)
    let (person, personID) = try await MatrixClient.login(homeserver: base, user: personUser, password: personPassword, deviceID: "BENCH", transport: transport)
    let room = try await person.call("POST", ["createRoom"], body: Data(#"{"name":"bench-infra","invite":["\#(botID)"]}"#.utf8),
                                     as: MatrixClient.CreateRoomAnswer.self).roomID
    require(!room.isEmpty, "createRoom gave no room id")

    let matrixConfig = BotConfig(
        organisation: "Bench",
        people: [Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", chatIDs: [.matrix: personID])],
        teams: [Team(id: "infra", name: "Infrastructure", manager: "dana", channels: ChannelRoutes(defaults: [.matrix: room]))],
        securityLeads: ["dana"], controls: [control],
        chat: ChatConfig(matrix: .init(homeserver: base.absoluteString, userID: botID, passwordVariable: "UNUSED")))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    let database = try BotDatabase.open(path: url.appendingPathComponent("bench.sqlite").path)
    let engine = AlertEngine(config: matrixConfig, database: database)
    let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let clock = SystemClock()
    let doorbell = Doorbell()
    let dispatcher = Dispatcher(database: database, surfaces: [MatrixSurface(client: bot, userID: botID)], clock: clock, logger: logger)
    let inbound = MatrixInbound(client: bot, userID: botID, commands: CommandHandler(engine: engine, clock: clock), doorbell: doorbell,
                                logger: logger, wireClock: SystemClock(), pollTimeout: 30_000)
    try await inbound.syncOnce(timeout: 0)   // joins the room it was invited to

    // The alerts, posted before the clock starts.
    try engine.reconcile(control, results: (0..<count).map { result($0, failing: true) }, at: Date())
    try await dispatcher.drain()
    let refs = try database.read { tx in try (1...count).map { try tx.messageRefs(alert: AlertID(Int64($0))).first?.messageID ?? "" } }
    require(refs.allSatisfy { !$0.isEmpty }, "not every alert was posted")

    // The bot: /sync, and deliveries whenever the doorbell rings.
    let syncing = Task { await inbound.run() }
    let delivering = Task {
        while !Task.isCancelled {
            await doorbell.wait()
            _ = try? await dispatcher.drain()
        }
    }
    defer { syncing.cancel(); delivering.cancel() }

    var since = try await person.sync(since: nil, filter: nil, timeout: 0).nextBatch
    var latencies: [Duration] = []
    for n in 1...count {
        let started = ContinuousClock.now
        _ = try await person.send(room: room, type: "m.room.message", txnID: "bench-\(UUID().uuidString)",
                                  content: .object(["msgtype": .string("m.text"), "body": .string("!soc2 ack A-\(n)")]))
        var seen = false
        while !seen {
            let answer = try await person.sync(since: since, filter: nil, timeout: 10_000)
            since = answer.nextBatch ?? since
            seen = (answer.joinedRooms[room] ?? []).contains { event in
                let relation = event.content?.relation
                return event.sender == botID && relation?.type == "m.replace" && relation?.eventID == refs[n - 1]
            }
            require(ContinuousClock.now - started < .seconds(30), "no edit of A-\(n) within 30 s")
        }
        latencies.append(ContinuousClock.now - started)
    }
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Duration { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    func ms(_ d: Duration) -> String { String(format: "%.0f ms", seconds(d) * 1000) }
    let acknowledged = try database.read { try $0.alerts(states: [.acknowledged]) }.count
    require(acknowledged == count, "\(acknowledged) of \(count) alerts acknowledged")
    print("  matrix: \(count) commands: p50 \(ms(percentile(0.5))), p99 \(ms(percentile(0.99))), max \(ms(sorted.last!))")
    return [
        BenchRow(benchmark: "Matrix round trip on loopback Synapse, \(count) `!soc2 ack` commands one at a time (command sent → edit seen)",
                 result: "p50 \(ms(percentile(0.5))), p90 \(ms(percentile(0.9))), p99 \(ms(percentile(0.99))), max \(ms(sorted.last!))",
                 target: "—", ok: nil),
        BenchRow(benchmark: "  resident memory after that run (bot and the person's client in one process)",
                 result: "RSS \(memoryKiB("VmRSS") / 1024) MiB, peak \(memoryKiB("VmHWM") / 1024) MiB", target: "—", ok: nil),
    ]
}
