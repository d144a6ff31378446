import Core
import Foundation
import Store
import Testing
import TestSupport

/// Cursors, the replay memory of signed requests and Matrix thread questions on every store.
@Suite("State repository")
struct StateConformanceTests {
    @Test(arguments: StoreFactory.all)
    func cursorsKeepTheirLastValue(_ store: StoreFactory) throws {
        let database = try store.make()
        #expect(try database.read { try $0.cursor("matrix.since") } == nil)

        try database.write { tx in
            try tx.setCursor("matrix.since", "s1")
            try tx.setCursor("slack.events", "7")
        }
        try database.write { try $0.setCursor("matrix.since", "s2") }

        #expect(try database.read { try $0.cursor("matrix.since") } == "s2")
        #expect(try database.read { try $0.cursor("slack.events") } == "7")
    }

    /// A signed request or envelope is accepted once within its window, refused when seen again (by this process or
    /// another on the same database), and forgotten once expired.
    @Test(arguments: StoreFactory.all)
    func aRequestIsSeenFirstOnceUntilItExpires(_ store: StoreFactory) throws {
        let database = try store.make()
        let expires = Sample.at(300)

        #expect(try database.read { try $0.alreadySeen("v0=abc", now: Sample.t0) } == false)
        #expect(try database.write { try $0.firstSighting("v0=abc", now: Sample.t0, expires: expires) })
        #expect(try database.write { try $0.firstSighting("v0=abc", now: Sample.at(10), expires: Sample.at(310)) } == false)
        #expect(try database.write { try $0.firstSighting("v0=def", now: Sample.at(10), expires: Sample.at(310)) })
        #expect(try database.read { try $0.alreadySeen("v0=abc", now: Sample.at(299)) })

        // Expired: no longer a replay, and seen afresh
        #expect(try database.read { try $0.alreadySeen("v0=abc", now: Sample.at(300)) } == false)
        #expect(try database.write { try $0.firstSighting("v0=abc", now: Sample.at(301), expires: Sample.at(601)) })
        #expect(try database.read { try $0.alreadySeen("v0=abc", now: Sample.at(500)) })
    }

    /// A sighting in a transaction that rolled back was not a sighting: the request, delivered again, is accepted.
    @Test(arguments: StoreFactory.all)
    func aSightingRolledBackIsForgotten(_ store: StoreFactory) throws {
        let database = try store.make()
        #expect(throws: StoreError.self) {
            try database.write { tx in
                _ = try tx.firstSighting("env-1", now: Sample.t0, expires: Sample.at(300))
                throw StoreError.notFound("the alert")
            }
        }
        #expect(try database.write { try $0.firstSighting("env-1", now: Sample.t0, expires: Sample.at(300)) })
    }

    /// ⏰ / ✅ questions in a Matrix thread are kept until answered; expired ones are remembered a week, then purged.
    @Test(arguments: StoreFactory.all)
    func matrixQuestionsAreKeptUntilAnsweredAndPurgedAWeekAfterExpiring(_ store: StoreFactory) throws {
        let database = try store.make()
        let asked = MatrixPrompt(sender: "@dana:hs", root: "$alert", room: "!infra:hs", command: "snooze", expiresAt: Sample.at(Sample.day))
        try database.write { try $0.saveMatrixPrompt(asked, now: Sample.t0) }
        #expect(try database.read { try $0.matrixPrompt(sender: "@dana:hs", root: "$alert") } == asked)
        #expect(try database.read { try $0.matrixPrompt(sender: "@sam:hs", root: "$alert") } == nil)

        // Asked again (✅ after ⏰): the newer question replaces the older one.
        var close = asked
        close.command = "close"
        try database.write { try $0.saveMatrixPrompt(close, now: Sample.at(60)) }
        #expect(try database.read { try $0.matrixPrompt(sender: "@dana:hs", root: "$alert") }?.command == "close")

        // Another question, eight days later: the expired one is forgotten.
        let later = MatrixPrompt(sender: "@sam:hs", root: "$other", room: "!infra:hs", command: "close", expiresAt: Sample.at(9 * Sample.day))
        try database.write { try $0.saveMatrixPrompt(later, now: Sample.at(8 * Sample.day + 1)) }
        #expect(try database.read { try $0.matrixPrompt(sender: "@dana:hs", root: "$alert") } == nil)
        try database.write { try $0.deleteMatrixPrompt(sender: "@sam:hs", root: "$other") }
        #expect(try database.read { try $0.matrixPrompt(sender: "@sam:hs", root: "$other") } == nil)
    }
}
