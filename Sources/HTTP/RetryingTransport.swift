import Core
import Foundation

/// Retries what is safe to retry: idempotent requests that got no answer, a 408, 429, 500, 502, 503 or 504, or an
/// AWS throttling error on a 400 (`Throttling`, `ThrottlingException`, `RequestLimitExceeded`, …).
/// Waits `Retry-After` when the server says (seconds or an HTTP date, up to `maxRetryAfter`), otherwise a capped,
/// jittered exponential backoff: attempt n waits min(maxDelay, baseDelay · 2^(n-1)) · U(0.5, 1) — 0.5 s, 1 s, 2 s …
/// up to 30 s by default, so a fleet of clients never retries in lockstep and never in a hot loop.
/// After the last attempt the final response is returned (or the last error thrown) for the caller to judge.
package struct RetryingTransport: HTTPTransport {
    package let base: any HTTPTransport
    package var maxAttempts: Int
    package var baseDelay: TimeInterval
    package var maxDelay: TimeInterval
    /// A Retry-After longer than this is not waited for: the response goes back to the caller.
    package var maxRetryAfter: TimeInterval
    /// Times the waits (Retry-After as a date) and waits; tests pass a `TestClock` and read the waits asked for.
    let clock: any BotClock
    let jitter: @Sendable () -> Double

    package static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    package init(base: any HTTPTransport, maxAttempts: Int = 4, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30,
                 maxRetryAfter: TimeInterval = 300,
                 clock: any BotClock,
                 jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1) }) {
        self.base = base; self.maxAttempts = max(1, maxAttempts); self.baseDelay = baseDelay; self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter; self.clock = clock; self.jitter = jitter
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var attempt = 1
        while true {
            let canRetry = request.isIdempotent && attempt < maxAttempts
            let response: HTTPResponse
            do {
                response = try await base.send(request)
            } catch let error as HTTPError {
                guard canRetry else { throw error }
                try await clock.sleep(for: backoff(attempt: attempt))
                attempt += 1
                continue
            }
            guard canRetry, Self.retryableStatuses.contains(response.status) || Self.isThrottling(response) else { return response }
            let wait: TimeInterval
            if let retryAfter = Self.retryAfter(response, now: clock.now()) {
                guard retryAfter <= maxRetryAfter else { return response }
                wait = retryAfter
            } else {
                wait = backoff(attempt: attempt)
            }
            try await clock.sleep(for: wait)
            attempt += 1
        }
    }

    /// AWS error codes that mean "slow down" on a 400 (query and JSON protocols answer throttling with 400, not 429).
    static let throttlingCodes = ["Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
                                  "RequestLimitExceeded", "TooManyRequestsException", "SlowDown", "ProvisionedThroughputExceededException"]

    /// A 400 whose body names a throttling error code (`<Code>Throttling</Code>`, `"__type":"…#ThrottlingException"`).
    package static func isThrottling(_ response: HTTPResponse) -> Bool {
        guard response.status == 400, response.body.count < 8_192 else { return false }
        let text = String(decoding: response.body, as: UTF8.self)
        return throttlingCodes.contains { code in
            text.contains("<Code>\(code)</Code>") || text.contains("#\(code)\"") || text.contains("\"\(code)\"")
        }
    }

    /// The wait before retry `attempt` (1-based) without a Retry-After.
    package func backoff(attempt: Int) -> TimeInterval {
        Backoff.delay(attempt: attempt, base: baseDelay, cap: maxDelay) * jitter()
    }

    /// Seconds the server asked us to wait: `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    package static func retryAfter(_ response: HTTPResponse, now: Date) -> TimeInterval? {
        guard let value = response.header("retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return seconds.isFinite && seconds >= 0 ? seconds : (seconds.isNaN ? nil : Backoff.maxServerWait) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
