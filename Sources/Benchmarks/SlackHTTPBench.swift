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
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }

    let secret = "bench-signing-secret"
    var slackConfig = config
    slackConfig.chat = ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN", signingSecretVariable: "SLACK_SIGNING_SECRET",
                                               mode: .http, teamID: "T0BENCH"))
    let database = try BotDatabase.open(path: url.appendingPathComponent("bench.sqlite").path)
    let engine = AlertEngine(config: slackConfig, database: database)
    let alerts = 50
    try engine.reconcile(control, results: (0..<alerts).map { result($0, failing: true) }, at: Date())
    let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let clock = SystemClock()
    let commands = CommandHandler(engine: engine, clock: clock)
    // The Web API is not called for these commands (people are mapped by Slack id); a transport that fails loudly
    // would show up as errors.
    let api = SlackWebAPI(token: "xoxb-bench", transport: UnreachableTransport())
    let interactions = SlackInteractions(commands: commands, directory: SlackDirectory(config: slackConfig, api: api), api: api,
                                         settings: slackConfig.chat.slack!, doorbell: Doorbell(), transport: UnreachableTransport(),
                                         logger: logger)
    let routes = InboundRoutes(slack: SlackHTTPEndpoint(interactions: interactions, signingSecret: secret, logger: logger))
    let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
    try server.start()
    defer { server.stop() }
    let endpoint = URL(string: "http://127.0.0.1:\(server.port)/slack/commands")!
    let transport = URLSessionTransport()

    func request(_ i: Int) -> HTTPRequest {
        let text = i % 10 == 0 ? "ack A-\(i / 10 % alerts + 1)" : (i % 10 <= 2 ? "status" : "list")
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

    // Warm-up: connections, caches, the first SQLite pages.
    for i in 0..<20 { _ = try await transport.send(request(1_000_000 + i)) }

    let total = rate * duration
    let interval = Duration.nanoseconds(1_000_000_000 / rate)
    let start = ContinuousClock.now
    let outcomes = await withTaskGroup(of: (Duration, Bool).self, returning: [(Duration, Bool)].self) { group in
        for i in 0..<total {
            let due = start + interval * i
            try? await Task.sleep(until: due, clock: .continuous)
            let req = request(i)
            group.addTask {
                let sent = ContinuousClock.now
                let ok = (try? await transport.send(req)).map { $0.status == 200 && !$0.body.isEmpty } ?? false
                return (ContinuousClock.now - sent, ok)
            }
        }
        var all: [(Duration, Bool)] = []
        for await outcome in group { all.append(outcome) }
        return all
    }
    let elapsed = ContinuousClock.now - start
    let latencies = outcomes.map(\.0).sorted()
    let failures = outcomes.filter { !$0.1 }.count
    func percentile(_ p: Double) -> Duration { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    func ms(_ d: Duration) -> String { String(format: "%.1f ms", seconds(d) * 1000) }
    let achieved = Double(total) / seconds(elapsed)
    let rss = memoryKiB("VmRSS"), peak = memoryKiB("VmHWM")
    print("  slack http: \(total) requests at \(rate)/s: p50 \(ms(percentile(0.5))), p99 \(ms(percentile(0.99))), max \(ms(latencies.last!)), \(failures) failed")
    require(failures == 0, "\(failures) of \(total) signed Slack requests failed")
    return [
        BenchRow(benchmark: "Slack HTTP mode, \(grouped(total)) signed /soc2 commands at \(rate)/s (loopback, open loop)",
                 result: "p50 \(ms(percentile(0.5))), p90 \(ms(percentile(0.9))), p99 \(ms(percentile(0.99))), max \(ms(latencies.last!)); "
                     + String(format: "%.0f req/s achieved", achieved),
                 target: "p99 < 50 ms", ok: percentile(0.99) < .milliseconds(50)),
        BenchRow(benchmark: "  resident memory after that run (bot and load generator in one process)",
                 result: "RSS \(rss / 1024) MiB, peak \(peak / 1024) MiB", target: "—", ok: nil),
    ]
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
