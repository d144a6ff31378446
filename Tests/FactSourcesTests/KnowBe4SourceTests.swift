import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

/// Passes requests to a fake, remembering the hosts they went to.
private final class HostRecorder: HTTPTransport {
    let inner: any HTTPTransport
    private let seen = Mutex<[String]>([])
    init(_ inner: any HTTPTransport) { self.inner = inner }
    var hosts: [String] { seen.withLock { $0 } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        seen.withLock { $0.append(request.url.host ?? "") }
        return try await inner.send(request)
    }
}

@Suite("KnowBe4 source")
struct KnowBe4SourceTests {
    static let environment = ["KNOWBE4_API_TOKEN": "kb4-test-token"]

    let waits = TestClock(start: Date(timeIntervalSince1970: 1_772_400_000), sleeping: .returnsAtOnce)

    func source(_ transport: any HTTPTransport, settings: [String: ConfigValue] = [:], credentials: [String: String] = [:],
                environment: [String: String] = KnowBe4SourceTests.environment) throws -> KnowBe4Source {
        try KnowBe4Source(config: SourceConfig(id: "knowbe4", kind: "knowbe4", credentialVariables: credentials, settings: settings),
                          environment: environment, transport: transport, clock: waits)
    }

    func training(_ fake: FakeKnowBe4, settings: [String: ConfigValue] = [:]) async throws -> [TrainingRecord] {
        try #require(try await source(fake, settings: settings).facts([.training]).training)
    }

    static func enrollments(_ count: Int) -> [FakeKnowBe4.Enrollment] {
        (1...count).map { FakeKnowBe4.Enrollment("person\($0)@acme.example", status: "Passed", completed: "2026-01-20T10:00:00.000Z") }
    }

    @Test func enrollmentsReduceToOneRecordPerPerson() async throws {
        // Given Ada with two completions a year apart, Bo with a completion and a newer assignment in progress, Cy
        // (written in two cases) past due and not started, and an enrollment of a deleted user without an e-mail
        let knowbe4 = FakeKnowBe4(enrollments: [
            .init("ada@acme.example", module: "2025 Security Awareness Training", campaign: "Annual 2025", status: "Passed",
                  enrolled: "2025-01-06T09:00:00.000Z", completed: "2025-01-10T14:20:00.000Z"),
            .init("ada@acme.example", module: "2026 Security Awareness Training", campaign: "Annual 2026", status: "Completed",
                  enrolled: "2026-01-05T09:00:00.000Z", completed: "2026-01-12T08:05:00.000Z"),
            .init("bo@acme.example", module: "Phishing Refresher", campaign: "Remedial", status: "Passed",
                  enrolled: "2025-06-01T09:00:00.000Z", completed: "2025-06-03T11:00:00.000Z"),
            .init("bo@acme.example", module: "2026 Security Awareness Training", campaign: "Annual 2026", status: "In Progress",
                  enrolled: "2026-01-05T09:00:00.000Z"),
            .init("Cy@Acme.example", module: "Acceptable Use Policy", campaign: "Policies", status: "Not Started", enrolled: "2026-02-01T09:00:00.000Z"),
            .init("cy@acme.example", module: "2026 Security Awareness Training", campaign: "Annual 2026", status: "Past Due",
                  enrolled: "2026-01-05T09:00:00.000Z"),
            .init("", status: "Passed", completed: "2026-01-12T08:05:00.000Z"),
        ])

        // When
        let records = try await training(knowbe4)

        // Then one request to the enrollments list, 500 a page from page 1
        #expect(knowbe4.requests == ["/v1/training/enrollments?page=1&per_page=500"])
        #expect(records == [
            TrainingRecord(email: "ada@acme.example", completedAt: instant("2026-01-12T08:05:00Z"), dueAt: nil,
                           course: "2026 Security Awareness Training"),
            TrainingRecord(email: "bo@acme.example", completedAt: instant("2025-06-03T11:00:00Z"), dueAt: nil,
                           course: "2026 Security Awareness Training"),
            TrainingRecord(email: "cy@acme.example", completedAt: nil, dueAt: nil, course: "2026 Security Awareness Training"),
        ])
    }

    @Test func onlyTheListedCampaignsCount() async throws {
        let knowbe4 = FakeKnowBe4(enrollments: [
            .init("ada@acme.example", campaign: "Annual Security Awareness", status: "Passed", completed: "2026-01-12T08:05:00.000Z"),
            .init("ada@acme.example", module: "Phishing Refresher", campaign: "Remedial", status: "Passed", completed: "2026-02-20T08:05:00.000Z"),
            .init("bo@acme.example", module: "Phishing Refresher", campaign: "Remedial", status: "Passed", completed: "2026-02-20T08:05:00.000Z"),
        ])
        let records = try await training(knowbe4, settings: ["campaigns": .list([.string("annual security awareness")])])
        #expect(records == [TrainingRecord(email: "ada@acme.example", completedAt: instant("2026-01-12T08:05:00Z"), dueAt: nil,
                                           course: "2026 Security Awareness Training")])
    }

    @Test func everyPageIsReadUntilAShortOne() async throws {
        // Given 1,100 enrollments: pages of 500, 500 and 100
        let knowbe4 = FakeKnowBe4(enrollments: Self.enrollments(1_100))
        // When
        let records = try await training(knowbe4)
        // Then
        #expect(records.count == 1_100)
        #expect(knowbe4.requests == (1...3).map { "/v1/training/enrollments?page=\($0)&per_page=500" })
    }

    @Test(arguments: [("us", "us.api.knowbe4.com"), ("eu", "eu.api.knowbe4.com"), ("ca", "ca.api.knowbe4.com"), ("uk", "uk.api.knowbe4.com"),
                      ("de", "de.api.knowbe4.com")])
    func theRegionChoosesTheHost(_ region: String, _ host: String) async throws {
        let recorder = HostRecorder(FakeKnowBe4(enrollments: Self.enrollments(1)))
        _ = try await source(recorder, settings: ["region": .string(region)]).facts([.training])
        #expect(recorder.hosts == [host])
    }

    @Test func theDefaultRegionIsUSAndBaseURLOverridesIt() async throws {
        let recorder = HostRecorder(FakeKnowBe4())
        _ = try await source(recorder).facts([.training])
        _ = try await source(recorder, settings: ["region": .string("eu"), "base_url": .string("http://127.0.0.1:8089")]).facts([.training])
        #expect(recorder.hosts == ["us.api.knowbe4.com", "127.0.0.1"])
    }

    @Test func rateLimitsAreWaitedOutHonouringRetryAfter() async throws {
        // Given 600 enrollments; a 429 before the first page and another before the second
        let knowbe4 = FakeKnowBe4(enrollments: Self.enrollments(600))
        knowbe4.failNext([.tooManyRequests(retryAfter: 12)])
        knowbe4.fail(page: 2, with: .tooManyRequests(retryAfter: 30))
        // When / Then the second page is refused on every try: the list fails, with no partial answer
        let message = await thrownMessage { _ = try await source(knowbe4).facts([.training]) }
        #expect(message.contains("KnowBe4 list training enrollments: KnowBe4 throttled (HTTP 429, Retry-After 30 s)"))
        #expect(waits.waits == [12, 30, 30, 30])

        // And once the limit lifts, everything is read
        let again = FakeKnowBe4(enrollments: Self.enrollments(600))
        again.failNext([.tooManyRequests(retryAfter: 12), .unavailable(retryAfter: 1)])
        #expect(try await training(again).count == 600)
    }

    @Test func aWaitLongerThanAMinuteIsNotSatThrough() async throws {
        let knowbe4 = FakeKnowBe4(enrollments: Self.enrollments(2))
        knowbe4.failNext([.tooManyRequests(retryAfter: 3_600)])
        let message = await thrownMessage { _ = try await source(knowbe4).facts([.training]) }
        #expect(message.contains("throttled (HTTP 429, Retry-After 3600 s); try again later"))
        #expect(waits.waits.isEmpty)
    }

    @Test func aRefusedTokenNamesTheVariableNeverTheToken() async throws {
        let knowbe4 = FakeKnowBe4(token: "the-real-key", enrollments: Self.enrollments(1))
        let message = await thrownMessage {
            _ = try await source(knowbe4, credentials: ["token": "KNOWBE4_REPORTING_TOKEN"],
                                 environment: ["KNOWBE4_REPORTING_TOKEN": "an-old-key"]).facts([.training])
        }
        #expect(message.contains("KnowBe4 list training enrollments: HTTP 401 Unauthorized"))
        #expect(message.contains("rejected the token in KNOWBE4_REPORTING_TOKEN"))
        #expect(!message.contains("an-old-key"))
    }

    @Test(arguments: [FakePagedAPI.Failure.malformed, .wrongShape])
    func aMalformedAnswerIsAnErrorNeverAnEmptyList(_ failure: FakePagedAPI.Failure) async throws {
        let knowbe4 = FakeKnowBe4(enrollments: Self.enrollments(2))
        knowbe4.failNext([failure])
        let message = await thrownMessage { _ = try await source(knowbe4).facts([.training]) }
        #expect(message.contains("KnowBe4's answer is not the expected JSON"))
    }

    @Test func aCompletionWithoutADateIsAnErrorNotAPass() async throws {
        let knowbe4 = FakeKnowBe4(enrollments: [.init("ada@acme.example", status: "Passed", completed: nil)])
        let message = await thrownMessage { _ = try await source(knowbe4).facts([.training]) }
        #expect(message.contains("an enrollment of ada@acme.example is Passed but has no `completion_date`"))

        let garbled = FakeKnowBe4(enrollments: [.init("bo@acme.example", status: "Completed", completed: "12/01/2026")])
        let other = await thrownMessage { _ = try await source(garbled).facts([.training]) }
        #expect(other.contains("an enrollment of bo@acme.example has a malformed `completion_date`"))
    }

    @Test func missingSettingsAndCredentialsSayWhatToSet() throws {
        let knowbe4 = FakeKnowBe4()
        do {
            _ = try source(knowbe4, environment: [:])
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("set the environment variable KNOWBE4_API_TOKEN to a KnowBe4 API token"))
        }
        #expect(throws: SourceError.unavailable(source: "knowbe4", reason: "settings.region `apac` is not allowed; use one of "
                                                + "`us`, `eu`, `ca`, `uk`, `de`")) {
            try source(knowbe4, settings: ["region": .string("apac")])
        }
        #expect(throws: SourceError.self) { try source(knowbe4, settings: ["base_url": .string("ftp://kb4.example")]) }
        #expect(throws: SourceError.self) { try source(knowbe4, settings: ["campaigns": .list([])]) }
    }

    @Test func onlyTrainingIsProvided() async throws {
        let message = await thrownMessage { _ = try await source(FakeKnowBe4()).facts([.people]) }
        #expect(message.contains("KnowBe4 provides training, not people"))
    }

    @Test func theClientIsRegistered() throws {
        #expect(SourceRegistry.liveKinds.contains("knowbe4"))
        let config = SourceConfig(id: "knowbe4", kind: "knowbe4", settings: ["region": .string("us")])
        let client = try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeKnowBe4(), clock: TestClock())
        #expect(client is KnowBe4Source)
        #expect(client?.provides == [.training])
    }

    /// A person whose last completion is 400 days old fails the real `training` check; one who completed a month ago
    /// passes; one with only an assignment in progress has never completed.
    @Test func aCompletion400DaysOldFailsTraining() async throws {
        // Given
        let now = Date(timeIntervalSince1970: 1_772_400_000)
        let iso = { (days: Double) in TimeText.iso(now.addingTimeInterval(-days * 86_400)) }
        let knowbe4 = FakeKnowBe4(enrollments: [
            .init("ada@acme.example", status: "Passed", enrolled: iso(410), completed: iso(400)),
            .init("bo@acme.example", status: "Completed", enrolled: iso(35), completed: iso(30)),
            .init("cy@acme.example", status: "In Progress", enrolled: iso(10)),
        ])
        let hr = StaticPeople(id: "hr", people: [
            HRPerson(employeeID: "E1", name: "Ada Lovelace", email: "Ada@acme.example", status: .active),
            HRPerson(employeeID: "E2", name: "Bo Brown", email: "bo@acme.example", status: .active),
            HRPerson(employeeID: "E3", name: "Cy Chief", email: "cy@acme.example", status: .active),
        ])
        let control = Control(id: "security-training", title: "Security training is current", criteria: [Criterion("CC1.4")!], owner: "people",
                              severity: .medium, cadence: 21_600, check: CheckSpec(type: "training", sources: ["hr", "knowbe4"]),
                              remediation: "enrol them in the annual campaign")
        // When
        let results = await ControlRunner(sources: [hr, try source(knowbe4)]).run(control, at: now)
        // Then
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0) })
        let ada = try #require(byID["person:ada@acme.example"])
        #expect(ada.status == .fail)
        #expect(ada.observed.hasPrefix("lapsed on"))
        #expect(byID["person:bo@acme.example"]?.status == .pass)
        #expect(byID["person:cy@acme.example"]?.observed == "never completed")
    }
}
