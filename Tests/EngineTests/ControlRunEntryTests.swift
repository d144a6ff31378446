import Core
@testable import Engine
import Foundation
import Store
import Testing

/// A control run's ledger payload is written by hand (every step appends one per control); it must be the bytes the
/// canonical encoder writes, whatever its messages hold.
@Suite("Control run entry")
struct ControlRunEntryTests {
    @Test(arguments: [[], ["one"], ["s3:a\"b: \\ failed\n\tagain", "path/x é 😀 \u{1}\u{1f}", ""]])
    func aControlRunsPayloadIsTheEncodersBytes(errors: [String]) throws {
        let run = CheckRunRecord(control: ControlID("mfa \"enforced\"/é"), at: EngineFixtures.t0, passed: 12, failed: 0,
                                 errors: errors.count, digest: String(repeating: "ab", count: 32))
        let evidence = ControlRunEvidence(run: run, errors: errors, digestFormat: AlertEngine.digestFormat)
        #expect(evidence.canonical == Array(try CanonicalJSON.encode(evidence)))
    }

    /// A control's repeated results keep their digest; any change of them — a field the digest covers, another
    /// control's results under the same name — is digested anew.
    @Test func repeatedResultsKeepTheirDigestAndChangedOnesAreDigestedAnew() {
        let memo = DigestMemo()
        let first = [CheckResult(resource: ResourceRef(id: "s3:a", kind: "bucket"), status: .fail, expected: "encrypted", observed: "none",
                                 failingSince: Date(timeIntervalSinceReferenceDate: 800_000_000))]
        var changed = first
        changed[0].observed = "none (since Monday)"
        var sooner = first
        sooner[0].failingSince = Date(timeIntervalSinceReferenceDate: 799_000_000)
        var composed = first
        composed[0].observed = "none: Jos\u{E9}"
        var decomposed = first
        decomposed[0].observed = "none: Jose\u{301}"   // the same text to Swift's ==, other bytes to the digest
        for results in [first, first, changed, first, sooner, [], first, composed, decomposed, composed] {
            #expect(memo.digest(of: results, control: "c") == AlertEngine.digest(results))
        }
        #expect(memo.digest(of: changed, control: "other") == AlertEngine.digest(changed))
        #expect(AlertEngine.digest(changed) != AlertEngine.digest(first) && AlertEngine.digest(sooner) != AlertEngine.digest(first))
        #expect(composed == decomposed && AlertEngine.digest(composed) != AlertEngine.digest(decomposed))
    }

    @Test func aRunsEntryInTheLedgerReadsBackAsItsRun() throws {
        // Given a run with an error recorded through the engine
        let engine = try EngineFixtures.engine()
        let control = engine.config.controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("s3:a", .pass), EngineFixtures.result("s3:b", .error("timed out \"x\""))],
                             at: EngineFixtures.t0)

        // Then its entry is the canonical encoding of its payload, and the chain verifies
        let entry = try #require(try engine.database.read { try $0.evidence(subject: "control:\(control.id)") }.last)
        let object = try #require(try JSONSerialization.jsonObject(with: entry) as? [String: Any])
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["passed"] as? Int == 1 && data["errors"] as? Int == 1 && data["failed"] as? Int == 0)
        #expect(data["errorMessages"] as? [String] == ["s3:b: timed out \"x\""])
        #expect(try engine.database.read { try $0.verifyLedger() }.isIntact)
    }
}
