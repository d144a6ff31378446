import Core
import Foundation
import HTTP

/// How hard the bot may press one source's API: requests in flight at once, requests started per second, from the
/// source's `settings:` (`max_concurrency`, `requests_per_second`). Reads of one step run concurrently, so these
/// bound what several controls' reads of one system add up to.
package struct SourceLimits: Sendable, Equatable {
    /// Requests in flight at once (1…256; default 16).
    package var maxConcurrency: Int
    /// Requests started per second (> 0, up to 10,000); nil: no rate limit beyond the concurrency and the server's own
    /// 429s (the default).
    package var requestsPerSecond: Double?

    package static let defaultMaxConcurrency = 16
    package static let concurrencyRange = 1...256
    package static let rateRange: ClosedRange<Double> = 0.001...10_000

    package init(maxConcurrency: Int = SourceLimits.defaultMaxConcurrency, requestsPerSecond: Double? = nil) {
        self.maxConcurrency = maxConcurrency; self.requestsPerSecond = requestsPerSecond
    }

    /// The limits a source's settings ask for, read through its kind's limiter specs (`specs`: a kind may declare its
    /// own `max_concurrency` default, as `aws` does; else `SettingSpec.sourceLimits`), defaults included; throws
    /// `SourceError.unavailable` naming the bad key and the allowed values.
    package init(source: SourceID, settings: [String: ConfigValue], specs: [SettingSpec] = SettingSpec.sourceLimits) throws {
        let names = Set(SettingSpec.sourceLimits.map(\.name))
        let limitSpecs = SettingSpec.sourceLimits.map { limit in specs.first { $0.name == limit.name } ?? limit }
        let limitValues = settings.filter { names.contains($0.key) }
        let limits = DescribedSettings(specs: limitSpecs, values: limitValues, owner: "every live source's limiter") { key, reason in
            SourceError.unavailable(source: source, reason: "settings.\(key) \(reason)")
        }
        self.init(maxConcurrency: try limits.integer("max_concurrency"), requestsPerSecond: try limits.number(ifSet: "requests_per_second"))
    }
}

/// One source's gate for its HTTP requests: at most `maxConcurrency` in flight, starts spaced `1 / requestsPerSecond`
/// apart, and none sent while the server's last throttling answer (429, 503, or an AWS throttling error) asked to
/// wait — its `Retry-After`, or 1 s without one, at most `maxGate`. Each source has its own, so one throttled system
/// holds only its own requests: the other sources' reads go on. Times and waits through the injected clock.
package actor SourceLimiter {
    package let limits: SourceLimits
    /// The longest a throttling answer closes the gate (5 min, RetryingTransport's longest wait): a longer ask is
    /// reported by the request that got it, and must not park the source's next step.
    package let maxGate: TimeInterval
    let clock: any BotClock

    private var inFlight = 0
    /// Requests waiting for a slot, first come first served; a released slot is handed to the first.
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// When the next request may start under the rate limit.
    private var nextStart: Date?
    /// No request starts before this (the server's Retry-After).
    package private(set) var closedUntil: Date?

    package init(limits: SourceLimits, maxGate: TimeInterval = 300,
                 clock: any BotClock) {
        self.limits = limits; self.maxGate = maxGate; self.clock = clock
    }

    /// Waits for a slot, the rate limit and the throttling gate; the caller must `release` once answered.
    package func acquire() async throws {
        if inFlight < max(1, limits.maxConcurrency) {
            inFlight += 1
        } else {
            await withCheckedContinuation { waiting.append($0) }   // the slot is handed over by `release`
        }
        do {
            while true {
                let at = clock.now()
                if let closedUntil, closedUntil > at {
                    try await clock.sleep(until: closedUntil)
                    continue   // the gate may have moved while waiting
                }
                guard let rate = limits.requestsPerSecond else { return }
                let start = max(at, nextStart ?? at)
                nextStart = start.addingTimeInterval(1 / rate)
                if start > at { try await clock.sleep(until: start) }
                return
            }
        } catch {
            release(after: nil)
            throw error
        }
    }

    /// Frees the slot; a throttling `response` closes the gate for its Retry-After.
    package func release(after response: HTTPResponse?) {
        if let response, ThrottledSender.throttlingStatuses.contains(response.status) || RetryingTransport.isThrottling(response) {
            let at = clock.now()
            let wait = min(maxGate, RetryingTransport.retryAfter(response, now: at) ?? (response.status == 503 ? 0 : 1))
            if wait > 0 {
                let until = at.addingTimeInterval(wait)
                closedUntil = max(closedUntil ?? until, until)
            }
        }
        if waiting.isEmpty { inFlight -= 1 } else { waiting.removeFirst().resume() }
    }
}

/// A source's transport behind its `SourceLimiter`. Sits below the retrying layers so every request on the wire,
/// retries included, passes the gate and every throttling answer closes it.
package struct SourceLimitedTransport: HTTPTransport {
    package let base: any HTTPTransport
    package let limiter: SourceLimiter
    package init(base: any HTTPTransport, limiter: SourceLimiter) { self.base = base; self.limiter = limiter }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await limiter.acquire()
        let response: HTTPResponse
        do { response = try await base.send(request) } catch {
            await limiter.release(after: nil)
            throw error
        }
        await limiter.release(after: response)
        return response
    }
}
