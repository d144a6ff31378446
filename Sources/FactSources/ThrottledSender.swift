import Core
import Foundation
import HTTP

/// Sends API requests and waits out throttling: a 429, or a 503 (Graph and Google both answer overload with one),
/// is sent again after the server's `Retry-After`, or without one after 1 s, 2 s, 4 s …; at most `maxAttempts`
/// (4) sends and never a wait longer than `maxWait` (60 s) — a longer ask is handed back for the caller to report.
/// Sits above the bot's `RetryingTransport`, which already retries short waits for idempotent requests; this
/// covers what that gives up on within the bounds a scheduled control run can afford.
struct ThrottledSender: Sendable {
    let transport: any HTTPTransport
    let sleep: @Sendable (TimeInterval) async throws -> Void
    let now: @Sendable () -> Date
    var maxAttempts = 4
    var maxWait: TimeInterval = 60

    static let throttlingStatuses: Set<Int> = [429, 503]

    /// The response, after any throttling waits; throws only when no answer arrived (the transport's error).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var attempt = 1
        while true {
            let response = try await transport.send(request)
            guard Self.throttlingStatuses.contains(response.status), attempt < maxAttempts else { return response }
            let wait = RetryingTransport.retryAfter(response, now: now()) ?? min(maxWait, pow(2, Double(attempt - 1)))
            guard wait <= maxWait else { return response }
            try await sleep(wait)
            attempt += 1
        }
    }

    /// `send`, with a request that got no answer turned into a source error naming `operation` (the HTTP layer's
    /// description carries no query, header or body).
    func send(_ request: HTTPRequest, operation: String, source: SourceID) async throws -> HTTPResponse {
        do {
            return try await send(request)
        } catch let error as HTTPError {
            throw SourceError.unavailable(source: source, reason: "\(operation): \(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): no answer (\(type(of: error)))")
        }
    }

    /// Words for a throttled final answer: how long the server asked to wait.
    static func throttledReason(_ response: HTTPResponse, now: Date) -> String {
        let retryAfter = RetryingTransport.retryAfter(response, now: now).map { ", Retry-After \(DurationText.wholeSeconds($0.rounded())) s" } ?? ""
        return "throttled (HTTP \(response.status)\(retryAfter)); try again later"
    }
}
