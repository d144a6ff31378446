import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// Answers from a script, and records what was sent.
final class ScriptedTransport: HTTPTransport {
    enum Step { case respond(HTTPResponse); case fail }
    private let state: Mutex<(steps: [Step], sent: Int)>
    init(_ steps: [Step]) { state = Mutex((steps, 0)) }
    var sent: Int { state.withLock { $0.sent } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let step = state.withLock { s -> Step in
            s.sent += 1
            return s.steps.isEmpty ? .respond(HTTPResponse(status: 200)) : s.steps.removeFirst()
        }
        switch step {
        case .respond(let response): return response
        case .fail: throw HTTPError.transport(method: request.method, url: HTTPError.redacted(request.url), reason: "connection refused")
        }
    }
}

@Suite("Retrying transport")
struct RetryingTransportTests {
    let get = HTTPRequest(method: "GET", url: URL(string: "https://api.example.com/v1/users?token=SECRET")!)
    let now = Date(timeIntervalSince1970: 1_772_438_400)

    func transport(_ base: ScriptedTransport, waits: TestClock, attempts: Int = 4) -> RetryingTransport {
        RetryingTransport(base: base, maxAttempts: attempts, clock: waits, jitter: { 1 })
    }

    @Test func serverErrorsAreRetriedWithCappedExponentialBackoff() async throws {
        let base = ScriptedTransport([.respond(HTTPResponse(status: 503)), .respond(HTTPResponse(status: 502)), .fail, .respond(HTTPResponse(status: 200))])
        let waits = TestClock(start: now, sleeping: .returnsAtOnce)
        let response = try await transport(base, waits: waits).send(get)
        #expect(response.status == 200 && base.sent == 4)
        #expect(waits.waits == [0.5, 1, 2])
        let capped = RetryingTransport(base: base, maxDelay: 30, clock: waits, jitter: { 1 })
        #expect(capped.backoff(attempt: 20) == 30)
        #expect(RetryingTransport(base: base, clock: waits, jitter: { 0.5 }).backoff(attempt: 2) == 0.5)
    }

    @Test func retryAfterIsHonouredInSecondsAndAsADate() async throws {
        let date = "Mon, 02 Mar 2026 08:00:07 GMT"   // 7 s after `now`
        let base = ScriptedTransport([.respond(HTTPResponse(status: 429, headers: ["Retry-After": "12"])),
                                      .respond(HTTPResponse(status: 503, headers: ["retry-after": date]))])
        let waits = TestClock(start: now, sleeping: .returnsAtOnce)
        #expect(try await transport(base, waits: waits).send(get).status == 200)
        #expect(waits.waits == [12, 7])
    }

    @Test func aRetryAfterBeyondTheLimitIsReturnedNotWaited() async throws {
        let base = ScriptedTransport([.respond(HTTPResponse(status: 429, headers: ["Retry-After": "3600"]))])
        let waits = TestClock(start: now, sleeping: .returnsAtOnce)
        #expect(try await transport(base, waits: waits).send(get).status == 429)
        #expect(waits.waits.isEmpty && base.sent == 1)
    }

    @Test func nonIdempotentRequestsAreNotRetried() async throws {
        let post = HTTPRequest(method: "POST", url: URL(string: "https://slack.example/api/chat.postMessage")!)
        let base = ScriptedTransport([.respond(HTTPResponse(status: 503))])
        #expect(try await transport(base, waits: TestClock(start: now, sleeping: .returnsAtOnce)).send(post).status == 503)
        #expect(base.sent == 1)
        // …unless the caller says the POST is a read-only query.
        var query = post
        query.idempotent = true
        let again = ScriptedTransport([.respond(HTTPResponse(status: 503))])
        #expect(try await transport(again, waits: TestClock(start: now, sleeping: .returnsAtOnce)).send(query).status == 200)
    }

    @Test func clientErrorsAreReturnedAtOnce() async throws {
        let base = ScriptedTransport([.respond(HTTPResponse(status: 403))])
        #expect(try await transport(base, waits: TestClock(start: now, sleeping: .returnsAtOnce)).send(get).status == 403)
        #expect(base.sent == 1)
    }

    /// AWS answers throttling with a 400 that names it (query protocol XML, JSON protocol `__type`): retried with
    /// backoff; any other 400 is returned at once.
    @Test func awsThrottlingOnA400IsRetriedOtherClientErrorsAreNot() async throws {
        let iam = HTTPResponse(status: 400, body: Data("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>".utf8))
        let kms = HTTPResponse(status: 400, body: Data(#"{"__type":"com.amazonaws.kms#ThrottlingException","message":"Rate exceeded"}"#.utf8))
        let ec2 = HTTPResponse(status: 400, body: Data("<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>".utf8))
        let base = ScriptedTransport([.respond(iam), .respond(kms), .respond(ec2), .respond(HTTPResponse(status: 200))])
        let waits = TestClock(start: now, sleeping: .returnsAtOnce)
        #expect(try await transport(base, waits: waits, attempts: 5).send(get).status == 200)
        #expect(waits.waits == [0.5, 1, 2] && base.sent == 4)

        let denied = HTTPResponse(status: 400, body: Data("<ErrorResponse><Error><Code>ValidationError</Code><Message>Throttling is not the code here</Message></Error></ErrorResponse>".utf8))
        let once = ScriptedTransport([.respond(denied)])
        #expect(try await transport(once, waits: TestClock(start: now, sleeping: .returnsAtOnce)).send(get).status == 400)
        #expect(once.sent == 1)
    }

    @Test func afterTheLastAttemptTheErrorSurfacesWithoutSecrets() async throws {
        let base = ScriptedTransport([.fail, .fail, .fail])
        let waits = TestClock(start: now, sleeping: .returnsAtOnce)
        do {
            _ = try await transport(base, waits: waits, attempts: 3).send(get)
            Issue.record("expected the transport error")
        } catch let error as HTTPError {
            #expect(base.sent == 3 && waits.waits.count == 2)
            #expect(!error.description.contains("SECRET"))
            #expect(error.description.contains("https://api.example.com/v1/users"))
        }
    }
}
