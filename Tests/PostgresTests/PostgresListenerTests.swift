import Foundation
import Postgres
import Testing
import TestSupport

@Suite("LISTEN and NOTIFY", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresListenerTests {
    @Test func aNotificationWakesTheListenerOnceItsTransactionCommits() throws {
        let url = try PostgresPeer.peerURL
        let channel = "outbox " + UUID().uuidString.prefix(8)
        let listener = try PostgresListener(url: url)
        try listener.listen(channel)
        let sender = try PostgresConnection(url: url)

        try sender.transaction { c in
            try c.notify(channel, payload: "A-7")
            // Not delivered before the commit.
            #expect(try listener.next(timeout: .zero) == nil)
        }
        let received = try listener.next(timeout: .seconds(30))
        #expect(received == PostgresNotification(channel: channel, payload: "A-7", senderPID: sender.backendPID))
        #expect(try listener.next(timeout: .zero) == nil)
    }

    @Test func aListenerWhoseSessionEndsIsToldSoInsteadOfWaiting() throws {
        let listener = try PostgresListener(url: try PostgresPeer.peerURL)
        try listener.listen("anything")
        try PostgresPeer.terminate(listener.backendPID, from: try PostgresPeer.admin())
        let error = #expect(throws: PostgresError.self) { try listener.next(timeout: .seconds(30)) }
        #expect(error?.kind == .connectionLost)
    }
}
