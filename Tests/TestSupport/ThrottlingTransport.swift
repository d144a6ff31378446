import Foundation
import HTTP
import Synchronization

/// A transport in front of a real homeserver that rate-limits the bot's sends the way Synapse does when `rc_message`
/// is exceeded: `429` with `{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":…}`, the
/// request never reaching the server. Everything else goes through to `base` unchanged.
///
/// Synapse's own limiter cannot be set to a window a test can count on (its per-user override takes whole messages
/// per second), so the refusals are placed here, exactly where the test wants them. Optionally lets (virtual) time
/// pass with every exchange, as on a slow homeserver.
package final class ThrottlingTransport: HTTPTransport {
    private struct State {
        var passBeforeLimit = 0
        var limited = 0
        var retryAfterMs = 0
        var throttled = 0
        var onExchange: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())
    let base: any HTTPTransport

    package init(base: any HTTPTransport) { self.base = base }

    /// After `passing` more sends go through, the next `count` sends are refused with `retry_after_ms`.
    package func limitSends(after passing: Int = 0, count: Int, retryAfterMs: Int) {
        state.withLock { $0.passBeforeLimit = passing; $0.limited = count; $0.retryAfterMs = retryAfterMs }
    }

    /// Runs `body` after every exchange (e.g. advances a virtual clock); nil stops it.
    package func afterEachExchange(_ body: (@Sendable () -> Void)?) { state.withLock { $0.onExchange = body } }

    /// How many sends were refused so far.
    package var throttled: Int { state.withLock { $0.throttled } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let isSend = request.method == "PUT" && request.url.path.contains("/send/")
        let refuse: Int? = isSend ? state.withLock { s in
            guard s.limited > 0 else { return nil }
            if s.passBeforeLimit > 0 { s.passBeforeLimit -= 1; return nil }
            s.limited -= 1
            s.throttled += 1
            return s.retryAfterMs
        } : nil
        let response: HTTPResponse
        if let refuse {
            response = HTTPResponse(status: 429, headers: ["Content-Type": "application/json"],
                                    body: Data(#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":\#(refuse)}"#.utf8))
        } else {
            response = try await base.send(request)
        }
        state.withLock { $0.onExchange }?()
        return response
    }
}
