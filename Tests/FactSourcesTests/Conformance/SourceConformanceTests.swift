import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// What every live source must do with the ways an API fails, played against each source's wire-format fake through
/// a `FaultInjectingTransport`: read every page; wait out a 429 through the injected sleep; turn a 5xx, a refused
/// token, a malformed answer or a page refused midway into an error naming the source — never a partial or empty
/// list taken for a complete one. Each source's meaning of its facts is tested in its own file.
@Suite("Source conformance")
struct SourceConformanceTests {
    /// A malformed answer to a page after the first.
    enum Malformation: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case htmlPage, truncated, wrongTypes, otherShape
        var fault: FaultInjectingTransport.Fault {
            switch self {
            case .htmlPage: .htmlPage
            case .truncated: .truncated
            case .wrongTypes: .wrongTypes
            case .otherShape: .otherShape
            }
        }
        var testDescription: String { rawValue }
    }

    /// Which page of the listing a fault goes to.
    enum Page: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case first, later
        var testDescription: String { "\(rawValue) page" }
        func matches(_ subject: ConformanceSubject) -> @Sendable (HTTPRequest) -> Bool {
            switch self {
            case .first: { request in subject.isListing(request) && (!subject.isLaterPage(request) || subject.isSinglePage) }
            case .later: subject.isLaterPage
            }
        }
    }

    /// Reads the subject's fact kind; the waits it asked for are recorded, never slept.
    func read(_ subject: ConformanceSubject, _ setup: ConformanceSubject.Setup) async throws -> Facts {
        try await setup.source.facts([subject.fact])
    }

    /// The error reading throws; records an issue when it returns facts instead, or throws something other than a
    /// `SourceError` naming the subject's source.
    func failure(_ subject: ConformanceSubject, _ setup: ConformanceSubject.Setup, _ comment: Comment) async -> SourceError? {
        do {
            let facts = try await read(subject, setup)
            Issue.record("\(comment): read \(subject.count(facts).map(String.init) ?? "no") records instead of failing")
            return nil
        } catch let error as SourceError {
            guard case .unavailable(let source, _) = error, source == subject.id else {
                Issue.record("\(comment): the error names another source: \(error)")
                return error
            }
            return error
        } catch {
            Issue.record("\(comment): not a source error: \(error)")
            return nil
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func everyPageIsRead(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)

        let facts = try await read(subject, setup)

        #expect(subject.count(facts) == setup.expected)
        #expect(facts.problems.isEmpty)
        let pages = setup.faults.requests.filter(subject.isListing).count
        if case .none = subject.paging {
            #expect(pages == 1)
        } else {
            #expect(pages >= 3, "the fake should serve the listing in three pages or more")
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func tooManyRequestsIsWaitedOutThenReadWhole(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.tooManyRequests(retryAfter: 7), times: 1, matching: subject.isLaterPage)

        let facts = try await read(subject, setup)

        #expect(setup.faults.injected == 1)
        #expect(subject.count(facts) == setup.expected)
        #expect(waits.waits.contains { $0 >= 7 }, "waits \(waits.waits) should honour Retry-After: 7")
    }

    /// Throttling that does not end within the tries a run can afford is an error, never an empty or partial list. (50
    /// refusals: a source that never gives up ends up reading the list and fails here instead of hanging.)
    @Test(arguments: ConformanceSubject.all)
    func throttlingThatDoesNotEndIsAnError(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.tooManyRequests(retryAfter: 1), times: 50, matching: subject.isLaterPage)

        let error = await failure(subject, setup, "HTTP 429 on every try")

        #expect(error.map { ["429", "rate limit", "throttled"].contains(where: "\($0)".contains) } ?? false, "the error should say the API throttled: \(String(describing: error))")
        #expect(!waits.waits.isEmpty && setup.faults.injected < 50)
    }

    /// A `Retry-After` longer than a run can sit through is reported, not slept.
    @Test(arguments: ConformanceSubject.all)
    func aRetryAfterBeyondWhatARunCanWaitIsAnError(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.tooManyRequests(retryAfter: 3_600), matching: subject.isLaterPage)

        _ = await failure(subject, setup, "Retry-After: 3600")

        #expect(!waits.waits.contains { $0 >= 3_600 }, "waited \(waits.waits)")
    }

    @Test(arguments: ConformanceSubject.all, [500, 502, 503])
    func aServerErrorThatPersistsIsAnError(_ subject: ConformanceSubject, status: Int) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.status(status), matching: subject.isListing)

        let error = await failure(subject, setup, "HTTP \(status) on every page")

        #expect(error.map { "\($0)".contains("\(status)") } ?? false, "the error should say what the server answered: \(String(describing: error))")
    }

    /// A token that expires between two pages: a source that can renew its token does so and reads the whole list;
    /// one with a static token reports the refusal.
    @Test(arguments: ConformanceSubject.all)
    func aTokenExpiredMidwayIsRenewedOrAnError(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.status(401), times: 1, matching: subject.isLaterPage)

        if subject.renewsToken {
            let facts = try await read(subject, setup)
            #expect(subject.count(facts) == setup.expected)
            let grants = setup.faults.requests.filter { $0.method == "POST" && String(decoding: $0.body, as: UTF8.self).contains("grant_type") }
            #expect(grants.count == 2, "one token, then a new one after the 401")
        } else {
            let error = await failure(subject, setup, "HTTP 401")
            #expect(error.map { "\($0)".contains("401") } ?? false)
        }
    }

    @Test(arguments: ConformanceSubject.all)
    func aTokenRefusedForGoodIsAnError(_ subject: ConformanceSubject) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.status(401), matching: subject.isListing)

        let error = await failure(subject, setup, "HTTP 401 on every page")

        #expect(error.map { "\($0)".contains("401") } ?? false, "the error should name the refusal: \(String(describing: error))")
    }

    @Test(arguments: ConformanceSubject.all, Malformation.allCases.flatMap { malformation in Page.allCases.map { (malformation, $0) } })
    func aMalformedPageIsAnError(_ subject: ConformanceSubject, spoiled: (malformation: Malformation, page: Page)) async throws {
        let (malformation, page) = spoiled
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        // JSON with its types swapped has no XML counterpart; another XML document is `otherShape`.
        guard malformation != .wrongTypes || !subject.answersXML else { return }
        let setup = try await subject.make(waits)
        setup.faults.inject(malformation.fault, times: 1, matching: page.matches(subject))

        _ = await failure(subject, setup, "a \(malformation) \(page.rawValue) page")

        #expect(setup.faults.injected == 1)
    }

    /// Refused on the later pages, the read is an error, never the first page's records alone; refused on the first
    /// page, never an empty list.
    @Test(arguments: ConformanceSubject.all, [403, 404, 500].flatMap { status in Page.allCases.map { (status, $0) } })
    func aPageRefusedIsAnErrorNeverAPartialList(_ subject: ConformanceSubject, refused: (status: Int, page: Page)) async throws {
        let waits = TestClock(start: ConformanceSubject.now, sleeping: .jumps(upTo: .infinity))
        let setup = try await subject.make(waits)
        setup.faults.inject(.status(refused.status), matching: refused.page.matches(subject))

        _ = await failure(subject, setup, "the \(refused.page.rawValue) page refused with \(refused.status)")

        #expect(setup.faults.injected >= 1)
    }
}
