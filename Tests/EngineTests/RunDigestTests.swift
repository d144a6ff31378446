import Core
import Crypto
import Engine
import Foundation
import Testing

@Suite("Control-run digest (soc2bot-results-v1)")
struct RunDigestTests {
    @Test func theDigestIsSHA256OfTheDocumentedLines() {
        let since = Date(timeIntervalSince1970: 1_772_438_400)
        let results = [
            CheckResult(resource: ResourceRef(id: "s3:a", kind: "bucket"), status: .pass, expected: "encrypted", observed: "SSE-KMS"),
            CheckResult(resource: ResourceRef(id: "s3:b\tx", kind: "bucket"), status: .fail, expected: "encrypted", observed: "none\nreally\\", failingSince: since),
            CheckResult(resource: ResourceRef(id: "control:c", kind: "control"), status: .error("503"), expected: "runs", observed: "503"),
        ]
        let lines = "s3:a\tpass\tencrypted\tSSE-KMS\t\n"
            + "s3:b\\tx\tfail\tencrypted\tnone\\nreally\\\\\t2026-03-02T08:00:00.000Z\n"
            + "control:c\terror:503\truns\t503\t\n"
        let expected = SHA256.hash(data: Data(lines.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(AlertEngine.digest(results) == expected)
    }

    @Test func anyChangeInWhatWasObservedChangesTheDigest() {
        let a = [CheckResult(resource: ResourceRef(id: "r", kind: "k"), status: .fail, expected: "e", observed: "o")]
        var b = a
        b[0].observed = "o2"
        #expect(AlertEngine.digest(a) != AlertEngine.digest(b))
        #expect(AlertEngine.digest(a) == AlertEngine.digest(a))
        // Large inputs are hashed in chunks with the same result as one piece.
        let many = (0..<5_000).map { CheckResult(resource: ResourceRef(id: "r\($0)", kind: "k"), status: .pass, expected: "e", observed: "o") }
        let text = many.map { "\($0.resource.id)\tpass\te\to\t\n" }.joined()
        #expect(AlertEngine.digest(many) == SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined())
    }
}
