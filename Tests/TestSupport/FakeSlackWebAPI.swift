import Chat
import Foundation
import HTTP
import Synchronization

/// An in-process Slack Web API that speaks the documented wire format for the methods the bot uses:
/// JSON POSTs with `Authorization: Bearer`, answers `{"ok":true,…}` or `{"ok":false,"error":…}`.
/// - `chat.postMessage`: needs a known channel (else `channel_not_found`) and blocks within Block Kit's limits
///   (else `invalid_blocks`); `thread_ts` must name a message (else `thread_not_found`).
/// - `chat.update`: needs an existing `ts` in that channel (else `message_not_found`).
/// - `conversations.open`: `users` → a `D…` channel, the same one every time for a user.
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
    }

    struct State {
        var channels: Set<String>
        var messages: [Posted] = []
        var updates: [(channel: String, ts: String, text: String)] = []
        var failures: [Failure] = []
        var calls: [String] = []
        var clock = 1_772_438_400
    }

    let token: String
    private let state: Mutex<State>

    package init(token: String = "xoxb-test-token", channels: Set<String>) {
        self.token = token
        state = Mutex(State(channels: channels))
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    package var messages: [Posted] { state.withLock { $0.messages } }
    package var updates: [(channel: String, ts: String, text: String)] { state.withLock { $0.updates } }
    package var calls: [String] { state.withLock { $0.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
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
            guard request.header("authorization") == "Bearer \(token)" else { return Self.answer(["ok": false, "error": "invalid_auth"]) }
            guard request.header("content-type")?.hasPrefix("application/json") == true,
                  let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
                return Self.answer(["ok": false, "error": "invalid_arguments"])
            }
            switch method {
            case "chat.postMessage":
                guard let channel = body["channel"] as? String, s.channels.contains(channel) else { return Self.answer(["ok": false, "error": "channel_not_found"]) }
                guard Self.blocksWithinLimits(body) else { return Self.answer(["ok": false, "error": "invalid_blocks"]) }
                let thread = body["thread_ts"] as? String
                if let thread, !s.messages.contains(where: { $0.channel == channel && $0.ts == thread }) {
                    return Self.answer(["ok": false, "error": "thread_not_found"])
                }
                s.clock += 1
                let ts = "\(s.clock).000100"
                s.messages.append(Posted(channel: channel, ts: ts, text: body["text"] as? String ?? "", threadTS: thread,
                                         broadcast: body["reply_broadcast"] as? Bool ?? false, blocks: (body["blocks"] as? [Any])?.count ?? 0))
                return Self.answer(["ok": true, "channel": channel, "ts": ts, "message": ["text": body["text"] ?? ""]])
            case "chat.update":
                guard let channel = body["channel"] as? String, let ts = body["ts"] as? String,
                      s.messages.contains(where: { $0.channel == channel && $0.ts == ts }) else {
                    return Self.answer(["ok": false, "error": "message_not_found"])
                }
                guard Self.blocksWithinLimits(body) else { return Self.answer(["ok": false, "error": "invalid_blocks"]) }
                s.updates.append((channel, ts, body["text"] as? String ?? ""))
                return Self.answer(["ok": true, "channel": channel, "ts": ts])
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

    /// Slack refuses what breaks Block Kit's limits: checked with the project's own validator on the raw JSON.
    private static func blocksWithinLimits(_ body: [String: Any]) -> Bool {
        guard let blocks = body["blocks"] else { return true }
        guard let data = try? JSONSerialization.data(withJSONObject: ["blocks": blocks, "text": body["text"] ?? ""]),
              let value = try? JSONDecoder().decode(DecodedJSON.self, from: data) else { return false }
        return BlockKit.problems(value.json).isEmpty
    }

    private static func answer(_ object: [String: Any]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

/// Decodes arbitrary JSON into `JSONValue` (numbers as integers; Block Kit payloads carry no fractions).
private struct DecodedJSON: Decodable {
    let json: JSONValue
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { json = .bool(b) }
        else if let i = try? c.decode(Int.self) { json = .int(i) }
        else if let s = try? c.decode(String.self) { json = .string(s) }
        else if let a = try? c.decode([DecodedJSON].self) { json = .array(a.map(\.json)) }
        else { json = .object(try c.decode([String: DecodedJSON].self).mapValues(\.json)) }
    }
}
