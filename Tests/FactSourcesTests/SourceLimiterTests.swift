import Checks
import Core
@testable import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// Virtual time for a limiter: each wait is recorded and moves the time on at once.
func virtualTime() -> TestClock { TestClock(start: Date(timeIntervalSince1970: 1_772_000_000), sleeping: .jumps(upTo: .infinity)) }

/// An event tasks can wait for: `passed()` returns once `open()` was called (at once if it was already), and throws
/// `CancellationError` if the waiting task is cancelled first (a test's time limit ends it instead of leaving it hung).
final class Checkpoint: Sendable {
    private let state = Mutex<(open: Bool, waiting: [UUID: CheckedContinuation<Void, any Error>])>((false, [:]))
    func open() {
        let waiting = state.withLock { s in s.open = true; defer { s.waiting = [:] }; return s.waiting }
        for continuation in waiting.values { continuation.resume() }
    }
    func passed() async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = state.withLock { s in
                    if s.open { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiting[id] = continuation
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}

/// An API answering `GET /buckets` with a JSON list of bucket names; the first `throttle` requests get a 429 with
/// `Retry-After`. Counts requests, and opens `answered` once it answered with the list.
final class FakeBucketAPI: HTTPTransport {
    let names: [String]
    let answered = Checkpoint()
    private let state: Mutex<(throttle: Int, requests: Int)>
    init(names: [String], throttle: Int = 0) { self.names = names; state = Mutex((throttle, 0)) }
    var requests: Int { state.withLock { $0.requests } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let throttled = state.withLock { s in
            s.requests += 1
            guard s.throttle > 0 else { return false }
            s.throttle -= 1
            return true
        }
        if throttled { return HTTPResponse(status: 429, headers: ["Retry-After": "30"]) }
        defer { answered.open() }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: try JSONEncoder().encode(names))
    }
}

/// A storage source over HTTP (`FakeBucketAPI`): what a live client does, in a few lines.
struct HTTPBucketSource: FactSource {
    let id: SourceID
    let transport: any HTTPTransport
    let provides: Set<FactKind> = [.buckets]
    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        let response = try await transport.send(HTTPRequest(method: "GET", url: URL(string: "https://\(id).test/buckets")!))
        guard response.status == 200, let names = try? JSONDecoder().decode([String].self, from: response.body) else {
            throw SourceError.unavailable(source: id, reason: "GET /buckets: HTTP \(response.status)")
        }
        var facts = Facts()
        facts.buckets = names.map { Bucket(provider: "S3", name: $0, encryption: .customerManaged, isPublic: false) }
        return facts
    }
}

@Suite("Source limiter")
struct SourceLimiterTests {
    static func request(_ host: String) -> HTTPRequest { HTTPRequest(method: "GET", url: URL(string: "https://\(host).test/buckets")!) }

    @Test
    func aRetryAfterHoldsOnlyItsOwnSourcesRequests() async throws {
        // Given two sources, each behind its own limiter, and the first throttled once with Retry-After: 30
        let time = virtualTime()
        let throttledAPI = FakeBucketAPI(names: ["a"], throttle: 1)
        let otherAPI = FakeBucketAPI(names: ["b"])
        let throttled = SourceLimitedTransport(base: throttledAPI, limiter: SourceLimiter(limits: SourceLimits(), clock: time))
        let otherWaits = virtualTime()
        let other = SourceLimitedTransport(base: otherAPI, limiter: SourceLimiter(limits: SourceLimits(), clock: otherWaits))

        // When the first source is told to wait, then both send again
        #expect(try await throttled.send(Self.request("a")).status == 429)
        #expect(try await other.send(Self.request("b")).status == 200)
        #expect(try await throttled.send(Self.request("a")).status == 200)

        // Then the throttled source's next request waited out the Retry-After; the other source never waited
        #expect(time.waits == [30])
        #expect(otherWaits.waits.isEmpty)
        #expect(throttledAPI.requests == 2 && otherAPI.requests == 1)
    }

    @Test
    func requestsPerSecondSpacesTheStarts() async throws {
        // Given a source limited to 4 requests a second
        let time = virtualTime()
        let transport = SourceLimitedTransport(base: FakeBucketAPI(names: []),
                                               limiter: SourceLimiter(limits: SourceLimits(requestsPerSecond: 4), clock: time))

        // When it sends three requests at once in virtual time
        for _ in 0..<3 { _ = try await transport.send(Self.request("a")) }

        // Then the second and third each waited a quarter second
        #expect(time.waits == [0.25, 0.25])
    }

    @Test
    func maxConcurrencyBoundsTheRequestsInFlight() async throws {
        // Given a source allowing 2 requests in flight, over an API that answers only when told to
        final class HeldAPI: HTTPTransport {
            let release = Checkpoint()
            let counts = Mutex<(inFlight: Int, peak: Int, started: Int)>((0, 0, 0))
            let twoStarted = Checkpoint()
            func send(_ request: HTTPRequest) async throws -> HTTPResponse {
                let started = counts.withLock { c in c.inFlight += 1; c.peak = max(c.peak, c.inFlight); c.started += 1; return c.started }
                if started == 2 { twoStarted.open() }
                try await release.passed()
                counts.withLock { $0.inFlight -= 1 }
                return HTTPResponse(status: 200)
            }
        }
        let api = HeldAPI()
        let transport = SourceLimitedTransport(base: api, limiter: SourceLimiter(limits: SourceLimits(maxConcurrency: 2), clock: TestClock()))

        // When six requests are sent at once
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await transport.send(Self.request("a")) } }
            try await api.twoStarted.passed()
            // Then only two are in flight until they are answered; all six complete
            #expect(api.counts.withLock { $0.started } == 2)
            api.release.open()
            try await group.waitForAll()
        }
        #expect(api.counts.withLock { $0.peak } == 2)
        #expect(api.counts.withLock { $0.started } == 6)
    }

    @Test(arguments: [
        (["max_concurrency": ConfigValue.number(0)], "settings.max_concurrency must be a whole number from 1 to 256"),
        (["max_concurrency": .number(2.5)], "settings.max_concurrency must be a whole number from 1 to 256"),
        (["max_concurrency": .string("many")], "settings.max_concurrency must be a whole number from 1 to 256"),
        (["requests_per_second": .number(0)], "settings.requests_per_second must be a number from 0.001 to 10000"),
        (["requests_per_second": .number(-1)], "settings.requests_per_second must be a number from 0.001 to 10000"),
    ])
    func badLimitSettingsAreRefusedByName(_ settings: [String: ConfigValue], _ reason: String) {
        #expect(throws: SourceError.unavailable(source: "aws", reason: reason)) { try SourceLimits(source: "aws", settings: settings) }
    }

    @Test
    func limitSettingsAreRead() throws {
        #expect(try SourceLimits(source: "aws", settings: [:]) == SourceLimits(maxConcurrency: 16, requestsPerSecond: nil))
        #expect(try SourceLimits(source: "aws", settings: ["max_concurrency": .number(4), "requests_per_second": .number(2.5)])
            == SourceLimits(maxConcurrency: 4, requestsPerSecond: 2.5))
    }

    /// A kind may declare its own limiter default: `aws` keeps 64 requests in flight (enough to overlap real AWS round
    /// trips), the others 16; a value written in the manifest wins either way.
    @Test
    func aKindsOwnLimiterDefaultApplies() throws {
        let aws = try #require(SourceRegistry.kind(named: "aws")).settings
        let github = try #require(SourceRegistry.kind(named: "github")).settings
        #expect(try SourceLimits(source: "aws", settings: [:], specs: aws).maxConcurrency == 64)
        #expect(try SourceLimits(source: "gh", settings: [:], specs: github).maxConcurrency == 16)
        #expect(try SourceLimits(source: "aws", settings: ["max_concurrency": .number(8)], specs: aws).maxConcurrency == 8)
        #expect(throws: SourceError.self) { try SourceLimits(source: "aws", settings: ["max_concurrency": .number(0)], specs: aws) }
    }

    /// A step reads its sources concurrently: while one source waits out a 429's Retry-After, another source's reads
    /// complete (its sleep holds until the other source has answered — with controls read one after another, it
    /// would never be), and the throttled source's controls are then judged on its retried read.
    @Test(.timeLimit(.minutes(1)))
    func aThrottledSourceWaitsWhileAnotherSourcesReadsComplete() async throws {
        // Given a throttled source first in manifest order, and another source
        let other = FakeBucketAPI(names: ["reports"])
        // The throttled source's wait ends only once the other source has answered (a test event, never a timer).
        let waits = TestClock(start: Date(timeIntervalSince1970: 1_772_000_000))
        let stepper = Task {
            try await other.answered.passed()
            await waits.sleepers(1)
            waits.advance(by: 30)
        }
        defer { stepper.cancel() }
        let throttledAPI = FakeBucketAPI(names: ["exports"], throttle: 1)
        let limiter = SourceLimiter(limits: SourceLimits(), clock: waits)
        let throttled = HTTPBucketSource(id: "s3-prod", transport: RetryingTransport(base: SourceLimitedTransport(base: throttledAPI, limiter: limiter),
                                                                                      clock: waits))
        let calm = HTTPBucketSource(id: "s3-dev", transport: SourceLimitedTransport(base: other, limiter: SourceLimiter(limits: SourceLimits(), clock: TestClock())))
        func control(_ id: ControlID, _ source: SourceID) -> Control {
            Control(id: id, title: "Buckets encrypted", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high, cadence: 3_600,
                    check: CheckSpec(type: "storage_encryption", sources: [source]), remediation: "encrypt")
        }

        // When both controls run as one step
        let results = await ControlRunner(sources: [throttled, calm]).run([control("prod", "s3-prod"), control("dev", "s3-dev")], at: waits.now())

        // Then the throttled source waited its Retry-After once, and both controls were judged on their facts
        #expect(waits.waits == [30])
        #expect(throttledAPI.requests == 2 && other.requests == 1)
        #expect(results.map { $0.map(\.resource.name) } == [["exports (S3)"], ["reports (S3)"]])
        #expect(results.allSatisfy { $0.allSatisfy { $0.status == .pass } })
    }
}

@Suite("Source health")
struct SourceHealthMonitorTests {
    /// A step's reads of one source finish in any order: its health must not depend on which finished last.
    @Test(arguments: [true, false])
    func aSourceIsFailingWhileAnyOfItsReadsFails(failureFirst: Bool) {
        // Given one read of a source failing and another succeeding, in either order
        let monitor = SourceHealthMonitor(now: { Date(timeIntervalSince1970: 1_772_000_000) })
        let fail = { monitor.failed("aws", kind: "aws", facts: [.buckets], error: "S3 ListBuckets: HTTP 403 AccessDenied") }
        let succeed = { monitor.succeeded("aws", kind: "aws", facts: [.accounts]) }
        if failureFirst { fail(); succeed() } else { succeed(); fail() }

        // Then the source is failing, with the failed read's error
        let health = monitor.snapshot
        #expect(health.count == 1)
        #expect(health.first?.healthy == false)
        #expect(health.first?.lastError == "S3 ListBuckets: HTTP 403 AccessDenied")
        #expect(health.first?.lastSuccessAt == Date(timeIntervalSince1970: 1_772_000_000))

        // And once the failing read succeeds again, the source is healthy
        monitor.succeeded("aws", kind: "aws", facts: [.buckets])
        #expect(monitor.snapshot.first?.healthy == true)
    }
}
