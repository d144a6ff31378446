import Checks
import Core
import Engine
import Foundation
import Store
import Testing

/// Every step reads its controls' live alerts and failing tracks; their decoded bodies are kept by their bytes
/// (`DecodedRows`), so whatever else writes the rows — a person's action, a write rolled back — the next step works on
/// what is stored, never on a value kept from before.
@Suite("Decoded bodies between steps")
struct DecodedBodiesTests {
    let t0 = EngineFixtures.t0

    @Test func aPersonsActionBetweenTwoRunsIsSeenByTheNextReconcile() throws {
        // Given an alert opened by one run (its body now read and kept by the engine), on a database file another process
        // (a replica serving chat) also writes
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("soc2bot-decoded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bot.sqlite").path
        let engine = AlertEngine(config: EngineFixtures.config(), database: try BotDatabase.open(path: path))
        let other = AlertEngine(config: EngineFixtures.config(), database: try BotDatabase.open(path: path))
        let control = engine.config.controls[0]
        let opened = try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail)], at: t0).opened
        let id = try #require(opened.first)
        _ = try engine.database.read { try $0.liveAlerts(control: control.id) }

        // When a person acknowledges it there, and the next run here sees another failure on it
        let ack = try other.apply(AlertRequest(.acknowledge, by: .person("omar"), via: .chat(.terminal), at: t0 + 60), to: id)
        guard case .changed = ack else { Issue.record("ack: \(ack)"); return }
        var changed = EngineFixtures.result("s3:exports", .fail)
        changed.observed = "SSE-S3 only"
        let summary = try engine.reconcile(control, results: [changed], at: t0 + 3_600)

        // Then the run updated the acknowledged alert (its version after the ack), keeping the person's state
        #expect(summary.updated == [id])
        let alert = try #require(try engine.database.read { try $0.alert(id) })
        #expect(alert.state == .acknowledged)
        #expect(alert.observed == "SSE-S3 only")
        #expect(try engine.database.read { try $0.liveAlerts(control: control.id) }["s3:exports"]?.state == .acknowledged)
    }

    @Test func aRolledBackWriteLeavesNoValueBehind() throws {
        // Given an open alert and the failing track of its resource, read once
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        let id = try #require(try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail)], at: t0).opened.first)
        let (alert, track) = try engine.database.read { tx in (try tx.alert(id), try tx.tracks(control: control.id)["s3:exports"]) }
        let stored = try #require(alert)
        var storedTrack = try #require(track)

        // When a write changes both and is rolled back
        var edited = stored
        edited.observed = "never committed"
        edited.version += 1
        storedTrack.observed = "never committed"
        #expect(throws: TestError.self) {
            try engine.database.write { tx in
                try tx.saveAlert(edited, expectedVersion: stored.version)
                try tx.saveTracks([storedTrack], control: control.id)
                #expect(try tx.alert(id)?.observed == "never committed")
                throw TestError()
            }
        }

        // Then the next reads, and the next run, see what is stored
        let (after, trackAfter) = try engine.database.read { tx in (try tx.alert(id), try tx.tracks(control: control.id)["s3:exports"]) }
        #expect(after?.observed == "no default encryption" && after?.version == stored.version)
        #expect(trackAfter?.observed == "no default encryption")
        let summary = try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail)], at: t0 + 3_600)
        #expect(summary.updated.isEmpty && summary.opened.isEmpty)
    }
}
