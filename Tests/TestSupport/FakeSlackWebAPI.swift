import Chat
import Core
import Foundation
import HTTP
import Synchronization

/// An in-process Slack Web API that speaks the documented wire format for the methods the bot uses:
/// JSON POSTs with `Authorization: Bearer`, answers `{"ok":true,…}` or `{"ok":false,"error":…}`.
/// - `chat.postMessage`: needs a known channel (else `channel_not_found`) and blocks within Block Kit's limits as
///   Slack counts them, in UTF-16 units (else `invalid_blocks`), text within 40,000 (else `msg_too_long`);
///   `thread_ts` must name a message (else `thread_not_found`).
/// - `chat.update`: needs an existing `ts` in that channel (else `message_not_found`), the same limits.
/// - `conversations.open`: `users` → a `D…` channel, the same one every time for a user.
/// - `views.open`: needs a `trigger_id` this fake issued (else `invalid_trigger_id`), used once (else
///   `exchanged_trigger_id`) and within 3 s of issue on the fake's clock (else `expired_trigger_id`): Slack's 3 s, on
///   the time the test moves, so a busy machine never expires one.
/// - `users.info` / `users.lookupByEmail` (form-encoded): the workspace's users and their profile e-mails.
/// - `apps.connections.open`: needs the app-level token; answers the Socket Mode URL with a fresh ticket.
/// - File sharing: `files.getUploadURLExternal` (form: `filename`, `length` > 0, else `invalid_arguments`) answers an
///   `upload_url` on host `files.slack.test` and a file id; a POST of exactly `length` bytes there (no token needed)
///   answers 200 `OK - <length>`, any other length 400; `files.completeUploadExternal` (`files` [{id, title}],
///   `channel_id`) shares uploaded files (else `file_not_found`, or `channel_not_found`).
/// - `response_url` posts (host `hooks.slack.test`): recorded.
/// Failure modes on cue: 429 with Retry-After, `ok:false ratelimited`, 5xx, a malformed body.
package final class FakeSlackWebAPI: HTTPTransport {
    package enum Failure: Sendable { case tooManyRequests(retryAfter: Int), rateLimitedOK, serverError(Int), malformed }

    package struct Posted: Sendable, Equatable {
        package var channel: String
        package var ts: String
        package var text: String
        package var threadTS: String?
        package var broadcast: Bool
        package var blocks: Int
        /// The request body as sent (JSON), to find the buttons a person would click.
        package var body: Data
    }

    /// A modal the bot opened.
    package struct OpenedView: Sendable {
        package var triggerID: String
        package var viewID: String
        /// The `view` object as sent (JSON).
        package var view: Data
    }

    /// A file shared in a channel through the external upload flow.
    package struct SharedFile: Sendable {
        package var id: String
        package var channel: String
        package var filename: String
        package var title: String
        package var initialComment: String?
        package var altText: String?
        package var bytes: Data
    }

    /// Where upload URLs point.
    package static let uploadHost = "files.slack.test"

    /// A message posted to a `response_url`.
    package struct ResponsePost: Sendable {
        package var url: URL
        package var body: Data
        package var text: String { (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["text"] as? String ?? "" }
    }

    /// Where `response_url`s point: the fake answers posts to this host.
    package static let responseHost = "hooks.slack.test"

    struct State {
        var channels: Set<String>
        var messages: [Posted] = []
        var updates: [(channel: String, ts: String, text: String)] = []
        var failures: [Failure] = []
        var calls: [String] = []
        var clock = 1_772_438_400
        var users: [String: String] = [:]
        /// Trigger id → when it was issued, on `clock`.
        var triggers: [String: Date] = [:]
        var usedTriggers: Set<String> = []
        var triggerCounter = 0
        var views: [OpenedView] = []
        var responses: [ResponsePost] = []
        var socketModeURL: String?
        var ticket = 0
        /// Methods whose calls wait until the test releases them (a slow Slack), with the calls waiting.
        var held: [String: [CheckedContinuation<Void, Never>]] = [:]
        var pendingUploads: [String: (filename: String, length: Int, altText: String?, bytes: Data?)] = [:]
        var files: [SharedFile] = []
        /// How many more messages with blocks Slack refuses (`invalid_blocks`) whatever they hold.
        var blockRefusals = 0

        /// The error Slack answers for `body`'s content, if it refuses it: blocks beyond Block Kit's limits, or
        /// refused on cue, `invalid_blocks`; text over 40,000 characters, `msg_too_long`.
        mutating func refuseContent(_ body: [String: Any]) -> String? {
            if ((body["text"] as? String)?.utf16.count ?? 0) > 40_000 { return "msg_too_long" }
            if FakeSlackWebAPI.blocksRefused(body) { return "invalid_blocks" }
            if blockRefusals > 0, let blocks = body["blocks"] as? [Any], !blocks.isEmpty {
                blockRefusals -= 1
                return "invalid_blocks"
            }
            return nil
        }
    }

    let token: String
    let appToken: String
    /// Slack's time for trigger ids: they expire 3 s after issue on this clock.
    let clock: any BotClock
    private let state: Mutex<State>

    /// - Parameters:
    ///   - users: the workspace's users, id → profile e-mail.
    ///   - clock: when trigger ids expire; by default a `TestClock` nobody advances (they never do).
    package init(token: String = "xoxb-test-token", appToken: String = "xapp-test-token", channels: Set<String>, users: [String: String] = [:],
                 clock: any BotClock = TestClock()) {
        self.token = token
        self.appToken = appToken
        self.clock = clock
        state = Mutex(State(channels: channels, users: users))
    }

    /// Issues a trigger id, as Slack does with each slash command and interaction (valid 3 s on `clock`, once).
    package func issueTrigger() -> String {
        let now = clock.now()
        return state.withLock { s in
            s.triggerCounter += 1
            let trigger = "\(s.triggerCounter).4744562912.\(String(format: "%032x", s.triggerCounter * 7919))"
            s.triggers[trigger] = now
            return trigger
        }
    }

    /// The Socket Mode WebSocket URL `apps.connections.open` hands out (a ticket is appended).
    package func setSocketModeURL(_ url: String) { state.withLock { $0.socketModeURL = url } }
    package var views: [OpenedView] { state.withLock { $0.views } }
    package var files: [SharedFile] { state.withLock { $0.files } }
    package var responses: [ResponsePost] { state.withLock { $0.responses } }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// Refuses the next `count` messages that carry blocks with `invalid_blocks`, as Slack does for blocks it will
    /// not render for reasons beyond the documented limits.
    package func refuseBlocks(next count: Int = 1) { state.withLock { $0.blockRefusals += count } }
    package var messages: [Posted] { state.withLock { $0.messages } }
    package var updates: [(channel: String, ts: String, text: String)] { state.withLock { $0.updates } }
    package var calls: [String] { state.withLock { $0.calls } }

    /// Makes every call of `method` wait until the returned `release` is called (a slow Slack, answering when the
    /// test says).
    package func hold(_ method: String) -> @Sendable () -> Void {
        state.withLock { $0.held[method] = [] }
        return { [self] in
            let waiting = self.state.withLock { $0.held.removeValue(forKey: method) ?? [] }
            for call in waiting { call.resume() }
        }
    }

    /// Holds the next `response_url` post in flight: `arrived` yields when it reaches Slack, and it is answered (and
    /// recorded) only once `release` is called.
    package func holdNextResponse() -> (arrived: AsyncStream<Void>, release: @Sendable () -> Void) {
        let (arrived, arrivedSignal) = AsyncStream.makeStream(of: Void.self)
        let (released, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        held.withLock { $0 = (arrivedSignal, released) }
        return (arrived, { releaseSignal.yield(); releaseSignal.finish() })
    }
    private let held = Mutex<(arrived: AsyncStream<Void>.Continuation, release: AsyncStream<Void>)?>(nil)

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.url.host == Self.responseHost, let gate = held.withLock({ h in defer { h = nil }; return h }) {
            gate.arrived.yield()
            for await _ in gate.release { break }
        }
        if state.withLock({ $0.held[request.url.lastPathComponent] != nil }) {
            await withCheckedContinuation { (call: CheckedContinuation<Void, Never>) in
                let held = state.withLock { s in
                    guard s.held[request.url.lastPathComponent] != nil else { return false }
                    s.held[request.url.lastPathComponent]?.append(call)
                    return true
                }
                if !held { call.resume() }
            }
        }
        let now = clock.now()
        return state.withLock { s in
            let method = request.url.lastPathComponent
            s.calls.append(method)
            if let failure = s.failures.first {
                s.failures.removeFirst()
                switch failure {
                case .tooManyRequests(let seconds): return HTTPResponse(status: 429, headers: ["Retry-After": "\(seconds)"])
                case .rateLimitedOK: return Self.answer(["ok": false, "error": "ratelimited"])
                case .serverError(let status): return HTTPResponse(status: status, body: Data("upstream error".utf8))
                case .malformed: return HTTPResponse(status: 200, body: Data("<html>Slack is down</html>".utf8))
                }
            }
            if request.url.host == Self.uploadHost {
                let id = request.url.lastPathComponent
                guard request.method == "POST", let pending = s.pendingUploads[id] else { return HTTPResponse(status: 404, body: Data("no such upload".utf8)) }
                guard request.body.count == pending.length else { return HTTPResponse(status: 400, body: Data("length mismatch".utf8)) }
                s.pendingUploads[id]?.bytes = request.body
                return HTTPResponse(status: 200, body: Data("OK - \(request.body.count)".utf8))
            }
            if request.url.host == Self.responseHost {
                s.responses.append(ResponsePost(url: request.url, body: request.body))
                return Self.answer(["ok": true])
            }
            if method == "apps.connections.open" {
                guard request.header("authorization") == "Bearer \(appToken)" else { return Self.answer(["ok": false, "error": "invalid_auth"]) }
                guard let url = s.socketModeURL else { return Self.answer(["ok": false, "error": "internal_error"]) }
                s.ticket += 1
                return Self.answer(["ok": true, "url": "\(url)?ticket=ticket-\(s.ticket)"])
            }
            guard request.header("authorization") == "Bearer \(token)" else { return Self.answer(["ok": false, "error": "invalid_auth"]) }
            let body: [String: Any]
            if request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true {
                body = FakeSlackForm.decode(request.body)
            } else if request.header("content-type")?.hasPrefix("application/json") == true,
                      let json = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] {
                body = json
            } else {
                return Self.answer(["ok": false, "error": "invalid_arguments"])
            }
            switch method {
            case "chat.postMessage":
                guard let channel = body["channel"] as? String, s.channels.contains(channel) else { return Self.answer(["ok": false, "error": "channel_not_found"]) }
                if let refused = s.refuseContent(body) { return Self.answer(["ok": false, "error": refused]) }
                let thread = body["thread_ts"] as? String
                if let thread, !s.messages.contains(where: { $0.channel == channel && $0.ts == thread }) {
                    return Self.answer(["ok": false, "error": "thread_not_found"])
                }
                s.clock += 1
                let ts = "\(s.clock).000100"
                s.messages.append(Posted(channel: channel, ts: ts, text: body["text"] as? String ?? "", threadTS: thread,
                                         broadcast: body["reply_broadcast"] as? Bool ?? false, blocks: (body["blocks"] as? [Any])?.count ?? 0,
                                         body: request.body))
                return Self.answer(["ok": true, "channel": channel, "ts": ts, "message": ["text": body["text"] ?? ""]])
            case "chat.update":
                guard let channel = body["channel"] as? String, let ts = body["ts"] as? String,
                      s.messages.contains(where: { $0.channel == channel && $0.ts == ts }) else {
                    return Self.answer(["ok": false, "error": "message_not_found"])
                }
                if let refused = s.refuseContent(body) { return Self.answer(["ok": false, "error": refused]) }
                s.updates.append((channel, ts, body["text"] as? String ?? ""))
                if let index = s.messages.firstIndex(where: { $0.channel == channel && $0.ts == ts }) {
                    s.messages[index].text = body["text"] as? String ?? s.messages[index].text
                    s.messages[index].body = request.body
                }
                return Self.answer(["ok": true, "channel": channel, "ts": ts])
            case "views.open":
                guard let trigger = body["trigger_id"] as? String, let issued = s.triggers[trigger] else {
                    return Self.answer(["ok": false, "error": "invalid_trigger_id"])
                }
                guard !s.usedTriggers.contains(trigger) else { return Self.answer(["ok": false, "error": "exchanged_trigger_id"]) }
                guard now.timeIntervalSince(issued) <= 3 else { return Self.answer(["ok": false, "error": "expired_trigger_id"]) }
                guard let view = body["view"] as? [String: Any], view["type"] as? String == "modal",
                      let data = try? JSONSerialization.data(withJSONObject: view) else {
                    return Self.answer(["ok": false, "error": "invalid_arguments"])
                }
                s.usedTriggers.insert(trigger)
                let id = "V\(String(format: "%08d", s.views.count + 1))"
                s.views.append(OpenedView(triggerID: trigger, viewID: id, view: data))
                return Self.answer(["ok": true, "view": ["id": id]])
            case "users.info":
                guard let user = body["user"] as? String, let email = s.users[user] else { return Self.answer(["ok": false, "error": "user_not_found"]) }
                return Self.answer(["ok": true, "user": ["id": user, "profile": ["email": email]]])
            case "users.lookupByEmail":
                guard let email = body["email"] as? String, let user = s.users.first(where: { $0.value.lowercased() == email.lowercased() })?.key else {
                    return Self.answer(["ok": false, "error": "users_not_found"])
                }
                return Self.answer(["ok": true, "user": ["id": user, "profile": ["email": email]]])
            case "files.getUploadURLExternal":
                guard let filename = body["filename"] as? String, !filename.isEmpty,
                      let length = (body["length"] as? String).flatMap(Int.init) ?? body["length"] as? Int, length > 0 else {
                    return Self.answer(["ok": false, "error": "invalid_arguments"])
                }
                let id = "F\(String(format: "%08d", s.pendingUploads.count + s.files.count + 1))"
                s.pendingUploads[id] = (filename, length, body["alt_txt"] as? String, nil)
                return Self.answer(["ok": true, "upload_url": "https://\(Self.uploadHost)/upload/v1/\(id)", "file_id": id])
            case "files.completeUploadExternal":
                let list = (body["files"] as? [[String: Any]])
                    ?? (body["files"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [[String: Any]] }
                guard let list, !list.isEmpty else { return Self.answer(["ok": false, "error": "invalid_arguments"]) }
                let channel = body["channel_id"] as? String
                if let channel, !s.channels.contains(channel) { return Self.answer(["ok": false, "error": "channel_not_found"]) }
                var shared: [[String: Any]] = []
                for entry in list {
                    guard let id = entry["id"] as? String, let pending = s.pendingUploads[id], let bytes = pending.bytes else {
                        return Self.answer(["ok": false, "error": "file_not_found"])
                    }
                    s.pendingUploads[id] = nil
                    let title = entry["title"] as? String ?? pending.filename
                    if let channel {
                        s.files.append(SharedFile(id: id, channel: channel, filename: pending.filename, title: title,
                                                  initialComment: body["initial_comment"] as? String, altText: pending.altText, bytes: bytes))
                    }
                    shared.append(["id": id, "title": title])
                }
                return Self.answer(["ok": true, "files": shared])
            case "conversations.open":
                guard let user = body["users"] as? String, user.hasPrefix("U") else { return Self.answer(["ok": false, "error": "user_not_found"]) }
                let dm = "D" + user.dropFirst()
                s.channels.insert(dm)
                return Self.answer(["ok": true, "channel": ["id": dm]])
            default:
                return Self.answer(["ok": false, "error": "unknown_method"])
            }
        }
    }

    /// Whether Slack refuses `body`'s blocks (`invalid_blocks`): Block Kit's documented limits as Slack's servers
    /// apply them, lengths in UTF-16 units (never fewer than the code points slack_sdk counts), written here from the
    /// Block Kit reference rather than taken from the bot's own validator.
    private static func blocksRefused(_ body: [String: Any]) -> Bool {
        guard let blocks = body["blocks"] else { return false }
        guard let list = blocks as? [[String: Any]], list.count <= 50 else { return true }
        func length(_ value: Any?) -> Int { (value as? String)?.utf16.count ?? 0 }
        /// A text object missing, empty or longer than `limit`.
        func badText(_ value: Any?, _ limit: Int) -> Bool {
            guard let object = value as? [String: Any], let text = object["text"] as? String,
                  ["plain_text", "mrkdwn"].contains(object["type"] as? String ?? "") else { return true }
            return text.isEmpty || text.utf16.count > limit
        }
        for block in list {
            if length(block["block_id"]) > 255 { return true }
            switch block["type"] as? String {
            case "header":
                if badText(block["text"], 150) { return true }
            case "section":
                let fields = block["fields"] as? [Any] ?? []
                if block["text"] == nil && fields.isEmpty { return true }
                if block["text"] != nil && badText(block["text"], 3_000) { return true }
                if fields.count > 10 || fields.contains(where: { badText($0, 2_000) }) { return true }
            case "actions":
                let elements = block["elements"] as? [[String: Any]] ?? []
                if elements.isEmpty || elements.count > 25 { return true }
                for element in elements {
                    if length(element["action_id"]) > 255 { return true }
                    switch element["type"] as? String {
                    case "button":
                        if badText(element["text"], 75) || length(element["value"]) > 2_000 || length(element["url"]) > 3_000 { return true }
                    case "overflow":
                        let options = element["options"] as? [[String: Any]] ?? []
                        if !(2...5).contains(options.count) || options.contains(where: { badText($0["text"], 75) || length($0["value"]) > 150 }) { return true }
                    default:
                        return true
                    }
                }
            case "context":
                let elements = block["elements"] as? [Any] ?? []
                if elements.isEmpty || elements.count > 10 || elements.contains(where: { badText($0, 3_000) }) { return true }
            case "divider":
                break
            default:
                return true
            }
        }
        return false
    }

    private static func answer(_ object: [String: Any]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

/// Test-side `application/x-www-form-urlencoded` decoding (independent of the bot's own decoder).
package enum FakeSlackForm {
    package static func decode(_ body: Data) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[unescape(parts[0])] = parts.count > 1 ? unescape(parts[1]) : ""
        }
        return fields
    }

    package static func encode(_ fields: [(String, String)]) -> Data {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return Data(fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&").utf8)
    }
}

import Sockets

extension FakeSlackWebAPI {
    /// Serves this fake over real HTTP on loopback (`http://127.0.0.1:<port>/api/<method>`), for a bot running as
    /// a separate process. Stop the returned server when done.
    package func serve() throws -> HTTPServer {
        let server = HTTPServer(configuration: .init(capturedHeaders: ["authorization"]), handler: { [self] request in
            var url = URLComponents()
            url.scheme = "http"; url.host = "127.0.0.1"; url.path = request.path
            let headers = request.headers.map { (name: $0.key, value: $0.value) }
            guard let target = url.url,
                  let answer = try? await send(HTTPRequest(method: request.method, url: target, headers: headers, body: request.body)) else {
                return .text(500, "fake Slack failed\n")
            }
            return HTTPServerResponse(status: answer.status, headers: answer.headers.map { (name: $0.key, value: $0.value) }, body: answer.body)
        })
        try server.start()
        return server
    }
}
