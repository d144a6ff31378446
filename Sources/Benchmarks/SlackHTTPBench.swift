import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Sockets
import Store

/// Slack HTTP mode under load: signed `/soc2` slash commands POSTed to the bot's inbound server on loopback at a
/// fixed arrival rate (open loop: a request leaves every 1/rate s whatever the answers do), each one verified,
/// decoded, executed against a file database and answered. Latency is from just before the request is sent to
/// the complete response, measured by the client (libcurl through URLSession), so it includes the client's cost.
///
/// The mix: 70 % `list`, 20 % `status`, 10 % `ack A-n` (a write: evidence, a state change or a no-op).
func benchSlackHTTP(rate: Int, seconds duration: Int) async throws -> [BenchRow] {
    let bot = try SlackBenchBot()
    defer { bot.stop() }
    return try await benchSlackHTTP(replicas: [bot], rate: rate, seconds: duration, label: "loopback")
}

/// The same load spread over `replicas` (request i to replica i mod n, as a round-robin load balancer would),
/// each its own inbound server and bot on one shared database.
func benchSlackHTTP(replicas: [SlackBenchBot], rate: Int, seconds duration: Int, label: String) async throws -> [BenchRow] {
    let bot = replicas[0]
    let transport = URLSessionTransport()
    @Sendable func request(_ i: Int) -> HTTPRequest {
        replicas[i % replicas.count].request(i % 10 == 0 ? "ack A-\(i / 10 % bot.alerts + 1)" : (i % 10 <= 2 ? "status" : "list"), i)
    }

    // Warm-up: connections, caches, the first SQLite pages.
    for i in 0..<20 { _ = try await transport.send(request(1_000_000 + i)) }

    let total = rate * duration
    let start = ContinuousClock.now
    let outcomes = await openLoop(count: total, rate: rate) { i in
        (try? await transport.send(request(i))).map { $0.status == 200 && !$0.body.isEmpty } ?? false
    }
    let elapsed = ContinuousClock.now - start
    let latencies = outcomes.map(\.0).sorted()
    let failures = outcomes.filter { !$0.1 }.count
    func percentile(_ p: Double) -> Duration { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    let achieved = Double(total) / seconds(elapsed)
    let rss = memoryKiB("VmRSS"), peak = memoryKiB("VmHWM")
    print("  slack http: \(total) requests at \(rate)/s: p50 \(ms(percentile(0.5))), p99 \(ms(percentile(0.99))), max \(ms(latencies.last!)), \(failures) failed")
    require(failures == 0, "\(failures) of \(total) signed Slack requests failed")
    return [
        BenchRow(benchmark: "Slack HTTP mode, \(grouped(total)) signed /soc2 commands at \(rate)/s (\(label), open loop)",
                 result: "p50 \(ms(percentile(0.5))), p90 \(ms(percentile(0.9))), p99 \(ms(percentile(0.99))), max \(ms(latencies.last!)); "
                     + String(format: "%.0f req/s achieved", achieved),
                 target: "p99 < 50 ms", ok: percentile(0.99) < .milliseconds(50)),
        BenchRow(benchmark: "  resident memory after that run (bot and load generator in one process)",
                 result: "RSS \(rss / 1024) MiB, peak \(peak / 1024) MiB", target: "—", ok: nil),
    ]
}

/// Slack HTTP mode while slow clients hang (issue "slow request bodies starve Slack"): signed `/soc2 status`
/// commands at `rate`/s, first alone, then while `slowClients` connections from ten other loopback addresses have
/// sent a head with `Content-Length: 1000` and nothing more, and `tricklers` more send one body byte a second (a
/// connection the server closes comes back a second later). Latency as in `benchSlackHTTP`.
func benchSlackSlowBodies(slowClients: Int, tricklers: Int, requests: Int, rate: Int) async throws -> [BenchRow] {
    let bot = try SlackBenchBot()
    defer { bot.stop() }
    let transport = URLSessionTransport()
    for i in 0..<20 { _ = try await transport.send(bot.request("status", 2_000_000 + i)) }
    func measure(_ offset: Int) async -> [(Duration, Bool)] {
        await openLoop(count: requests, rate: rate) { i in
            (try? await transport.send(bot.request("status", offset + i))).map { $0.status == 200 && !$0.body.isEmpty } ?? false
        }
    }

    let alone = await measure(3_000_000)
    let clients = SlowBodyClients(port: bot.server.port, path: "/slack/commands",
                                  headers: ["Content-Type: application/x-www-form-urlencoded",
                                            "X-Slack-Request-Timestamp: \(Int(Date().timeIntervalSince1970))",
                                            "X-Slack-Signature: v0=" + String(repeating: "0", count: 64)],
                                  contentLength: 1000, holders: slowClients, tricklers: tricklers,
                                  sourceAddresses: (1...10).map { "127.0.1.\($0)" })
    clients.start()
    // The heads are sent; let the server read them before the timed requests start.
    try await Task.sleep(for: .milliseconds(500))
    let loaded = await measure(4_000_000)
    let slow = clients.stop()

    func summary(_ outcomes: [(Duration, Bool)]) -> (text: String, p99: Duration, failed: Int) {
        let latencies = outcomes.map(\.0).sorted()
        func percentile(_ p: Double) -> Duration { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let failed = outcomes.filter { !$0.1 }.count
        return ("p50 \(ms(percentile(0.5))), p99 \(ms(percentile(0.99))), max \(ms(latencies.last!)), \(failed) failed",
                percentile(0.99), failed)
    }
    let quiet = summary(alone), busy = summary(loaded)
    var closeParts: [String] = []
    for (status, count) in slow.closedWithStatus.sorted(by: { $0.key < $1.key }) {
        closeParts.append(status == 0 ? "\(count) without a response" : "\(count) with \(status)")
    }
    let closes = closeParts.joined(separator: ", ")
    print("  slack http, \(requests) status at \(rate)/s alone: \(quiet.text)")
    print("  slack http, \(requests) status at \(rate)/s with \(slowClients) slow bodies + \(tricklers) trickling: \(busy.text)")
    print("  slow clients: \(slow.opened) connections opened, \(slow.failedToOpen) refused at connect; server closed \(closes.isEmpty ? "none" : closes)")
    return [
        BenchRow(benchmark: "Slack HTTP mode, \(requests) signed /soc2 status at \(rate)/s, no other clients",
                 result: quiet.text, target: "p99 < 50 ms", ok: quiet.p99 < .milliseconds(50) && quiet.failed == 0),
        BenchRow(benchmark: "  the same while \(slowClients) clients withhold their bodies and \(tricklers) trickle 1 byte/s (10 loopback addresses)",
                 result: busy.text, target: "p99 < 50 ms", ok: busy.p99 < .milliseconds(50) && busy.failed == 0),
        BenchRow(benchmark: "  what the server did to the slow clients",
                 result: "\(slow.opened) connections opened, \(slow.failedToOpen) refused at connect; closed: \(closes.isEmpty ? "none" : closes)",
                 target: "—", ok: nil),
    ]
}

/// Runs `count` requests at `rate`/s, open loop (each leaves at its time whatever the answers do); returns each
/// one's latency and whether it succeeded.
func openLoop(count: Int, rate: Int, _ send: @escaping @Sendable (Int) async -> Bool) async -> [(Duration, Bool)] {
    let interval = Duration.nanoseconds(1_000_000_000 / rate)
    let start = ContinuousClock.now
    return await withTaskGroup(of: (Duration, Bool).self, returning: [(Duration, Bool)].self) { group in
        for i in 0..<count {
            try? await Task.sleep(until: start + interval * i, clock: .continuous)
            group.addTask {
                let sent = ContinuousClock.now
                let ok = await send(i)
                return (ContinuousClock.now - sent, ok)
            }
        }
        var all: [(Duration, Bool)] = []
        for await outcome in group { all.append(outcome) }
        return all
    }
}

func ms(_ d: Duration) -> String { String(format: "%.1f ms", seconds(d) * 1000) }

/// The bot behind its inbound server on loopback with 50 open alerts, as Slack HTTP mode serves it, and signed
/// `/soc2` requests for it. `stop()` stops the server and removes the scratch database.
final class SlackBenchBot: Sendable {
    let alerts = 50
    let server: HTTPServer
    let endpoint: URL
    /// Runs the interactions' late answers (none expected: every command answers in time) until `stop`.
    let tasksRunner: Task<Void, Never>
    private let secret = "bench-signing-secret"
    private let directory: URL

    /// - Parameters:
    ///   - database: the bot's database (nil: a scratch SQLite file); replicas share one (PostgreSQL).
    ///   - opensAlerts: records the 50 open alerts (the first replica on a shared database; the others find them).
    init(configuration: HTTPServer.Configuration = .init(), database shared: BotDatabase? = nil, opensAlerts: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var slackConfig = config
        slackConfig.chat = ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN", signingSecretVariable: "SLACK_SIGNING_SECRET",
                                                   mode: .http, teamID: "T0BENCH"))
        let database = try shared ?? BotDatabase.open(path: directory.appendingPathComponent("bench.sqlite").path)
        let engine = AlertEngine(config: slackConfig, database: database)
        if opensAlerts { try engine.reconcile(control, results: (0..<alerts).map { result($0, failing: true) }, at: Date()) }
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let commands = CommandHandler(engine: engine, clock: SystemClock())
        // The Web API is not called for these commands (people are mapped by Slack id); a transport that fails loudly
        // would show up as errors.
        let api = SlackWebAPI(token: "xoxb-bench", transport: UnreachableTransport())
        let tasks = InboundTasks()
        tasksRunner = Task { [tasks] in try? await tasks.run() }
        let interactions = SlackInteractions(bot: EngineChatBot(commands: commands, doorbell: Doorbell()),
                                             directory: SlackDirectory(config: slackConfig, api: api, clock: commands.clock), api: api,
                                             settings: slackConfig.chat.slack!, tasks: tasks, transport: UnreachableTransport(),
                                             logger: logger, answerClock: commands.clock)
        let routes = InboundRoutes(chat: [SlackHTTPEndpoint(interactions: interactions, signingSecret: secret, logger: logger).route])
        var configuration = configuration
        configuration.capturedHeaders = InboundRoutes.capturedHeaders
        server = HTTPServer(configuration: configuration, handler: { await routes.handle($0) })
        try server.start()
        endpoint = URL(string: "http://127.0.0.1:\(server.port)/slack/commands")!
    }

    func stop() {
        server.stop()
        tasksRunner.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A signed `/soc2 <text>` slash command; `i` makes its `response_url` and `trigger_id` unique.
    func request(_ text: String, _ i: Int) -> HTTPRequest {
        let fields = [("team_id", "T0BENCH"), ("channel_id", "C0INFRA"), ("user_id", "U0SAM"), ("command", "/soc2"), ("text", text),
                      ("response_url", "https://hooks.slack.com/commands/T0BENCH/\(i)/x"), ("trigger_id", "\(i).1.abc")]
        let body = Data(FormEncoding.encode(fields).utf8)
        let timestamp = "\(Int(Date().timeIntervalSince1970))"
        var base = Data("v0:\(timestamp):".utf8)
        base.append(body)
        return HTTPRequest(method: "POST", url: endpoint, headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Slack-Request-Timestamp", timestamp),
            ("X-Slack-Signature", "v0=" + HMACSignature.hex(message: base, key: Data(secret.utf8))),
        ], body: body)
    }
}

/// `/proc/self/status` field in KiB (0 where there is no /proc).
func memoryKiB(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// A transport for calls the benchmark must not make.
struct UnreachableTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw HTTPError.transport(method: request.method, url: request.url.absoluteString, reason: "the benchmark makes no outbound calls")
    }
}
