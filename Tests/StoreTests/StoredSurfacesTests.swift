import Chat
import Core
import Foundation
import Testing
@testable import Store

/// Where an action came from (`Surface`) no longer names a platform in Core (`.chat(ChatPlatform)`), yet entries and
/// rows written before read the same and are written byte for byte the same: ledger hashes do not change.
@Suite struct StoredSurfacesTests {
    /// A ledger entry as stored (`ledger.entry`, `prev_hash`, `hash`).
    struct StoredEntry {
        var seq: Int64
        var prevHash: String
        var hash: String
        var entry: String
    }

    /// Three `alert_transition` entries a `soc2bot demo` built before this change wrote (the scheduler's escalation,
    /// a scenario's snooze, an acknowledgement typed at the terminal), copied from its database.
    static let stored: [StoredEntry] = [
        StoredEntry(seq: 20, prevHash: "d04af831f79d0379cf0b2cda28af04f4bd9995ce259dd2f4a886bf97a4b93420", hash: "fcd526ce3e1a3546275fac7c539e694a7da3ffcbc15ae7b3849ee627c72e2066",
                    entry: #"{"at":"2026-03-02T09:57:23.277Z","data":{"action":"sla_breach","actor":"soc2bot/escalator","alert":2,"at":"2026-03-02T09:57:23.277Z","from":"open","surface":"system","to":"escalated","version":2},"kind":"alert_transition","seq":20,"subject":"A-2"}"#),
        StoredEntry(seq: 28, prevHash: "b925d02c2bcd8d2ce5f787c2cf23e94f4d7904fbe685321bf686d92fe98f3363", hash: "4c8b2984d45e01cb684d7c725e07b4f180e6d788477874afbeeac3eb51fb38f4",
                    entry: #"{"at":"2026-03-02T12:11:17.714Z","data":{"action":"snooze","actor":"priya","alert":2,"at":"2026-03-02T12:11:17.714Z","from":"escalated","reason":"waiting for PayFlow's bridge letter, renewal requested 2026-02-20","surface":"scenario","to":"snoozed","version":3},"kind":"alert_transition","seq":28,"subject":"A-2"}"#),
        StoredEntry(seq: 396, prevHash: "2c5f342a2b9b72f9a3e54ea67e7250af9455630082d5baa1a38fc084602ea2e4", hash: "4a6f3a43e227e9c5fce4dab080760d167ae82df8fbcba55831fad41792d1bdcb",
                    entry: #"{"at":"2026-03-04T04:09:40.142Z","data":{"action":"acknowledge","actor":"priya","alert":2,"at":"2026-03-04T04:09:40.142Z","from":"snoozed","surface":"terminal","to":"acknowledged","version":4},"kind":"alert_transition","seq":396,"subject":"A-2"}"#),
    ]

    /// Alert 6's `alert.body` from the same database: its last transition came from the bot itself.
    static let storedAlertBody = #"{"awakeSince":794313128.8960416,"control":"security-training","criteria":["CC1.4"],"endedAt":794599432.4605248,"episode":1,"escalationLevel":0,"expected":"training completed within the last 365d","failingSince":794304000,"findings":[{"failingSince":794390400,"observed":"due by 2026-03-12 08:00 UTC","resource":{"id":"person:sam@northwind.example","kind":"person","name":"Sam Ortiz"}}],"history":{"steps":[{"s":"open","t":794313128.8960416},{"s":"resolved","t":794599432.4605248}]},"id":6,"lastTransition":{"action":"resolve","actor":"soc2bot\/scheduler","alert":6,"at":794599432.4605248,"from":"open","surface":"system","to":"resolved","version":4},"observed":"1 of 9 failing","openedAt":794313128.8960416,"policyDeadline":794908800,"remediation":"Assign the annual security awareness module to each person listed (KnowBe4: Training > Campaigns > the annual campaign > Add users) and remind their manager; close when every completion is recorded.","resourceKey":"*","severity":"medium","slaDeadline":794908800,"state":"resolved","team":"people","title":"Everyone has current security awareness training","version":4}"#

    static func data(hex: String) -> Data {
        Data(stride(from: 0, to: hex.count, by: 2).map { i in
            UInt8(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)], radix: 16)!
        })
    }

    @Test func transitionsStoredBeforeDecodeAndAreWrittenAgainByteForByte() throws {
        var surfaces: [Surface] = []
        for row in Self.stored {
            let entry = Data(row.entry.utf8)
            let prev = Self.data(hex: row.prevHash)
            #expect(EvidenceLedger.chainHash(prev: prev, entry: entry) == Self.data(hex: row.hash))
            let object = try #require(LedgerPayload.object(entry))
            let transition = try #require(LedgerPayload.data(entry, kind: "alert_transition", as: AlertTransition.self))
            surfaces.append(transition.surface)
            // Appending the decoded transition again gives the same bytes, so the same hash.
            let again = try EvidenceLedger.nextEntry(headSeq: row.seq - 1, headHash: prev, headTime: nil, kind: "alert_transition",
                                                     subject: object["subject"] as? String, at: transition.at, data: transition)
            #expect(String(decoding: again.entry, as: UTF8.self) == row.entry)
            #expect(again.hash == Self.data(hex: row.hash))
        }
        #expect(surfaces == [.system, .scenario, .chat(.terminal)])
    }

    @Test func anAlertRowStoredBeforeDecodesAndEncodesTheSame() throws {
        let alert = try StoreJSON.decode(Alert.self, from: Data(Self.storedAlertBody.utf8))
        #expect(alert.lastTransition?.surface == .system)
        #expect(String(decoding: try StoreJSON.encode(alert), as: UTF8.self) == Self.storedAlertBody)
    }

    @Test func everySurfaceIsOneStringAndAnyPlatformIdReadsAsThatPlatform() throws {
        for (surface, text) in [(Surface.chat(.slack), "slack"), (.chat(.matrix), "matrix"), (.chat(.terminal), "terminal"),
                                (.chat(ChatPlatform("teams")), "teams"), (.cli, "cli"), (.scenario, "scenario"), (.system, "system")] {
            #expect(String(decoding: try CanonicalJSON.encode(surface), as: UTF8.self) == "\"\(text)\"")
            #expect(try StoreJSON.decode(Surface.self, from: Data("\"\(text)\"".utf8)) == surface)
        }
        #expect(throws: DecodingError.self) { try StoreJSON.decode(Surface.self, from: Data("\"\"".utf8)) }
    }
}
