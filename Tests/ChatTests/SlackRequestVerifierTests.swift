import Chat
import Foundation
import Testing

/// Slack's worked example from "Verifying requests from Slack" (Fixtures/slack/signing-example.json).
@Suite("Slack request verification")
struct SlackRequestVerifierTests {
    struct Example: Decodable {
        let signing_secret: String
        let timestamp: String
        let body: String
        let expected_signature: String
    }

    static let example: Example = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/slack/signing-example.json")
        return try! JSONDecoder().decode(Example.self, from: Data(contentsOf: url))
    }()

    let verifier = SlackRequestVerifier(signingSecret: example.signing_secret)

    /// What `verifier` says: nil when it accepts.
    func refusal(_ verifier: SlackRequestVerifier? = nil, body: Data? = nil, timestamp: String? = example.timestamp,
                 signature: String? = example.expected_signature, at offset: TimeInterval = 0) -> SlackRequestVerifier.Refusal? {
        do {
            try (verifier ?? self.verifier).verify(body: body ?? self.body, timestamp: timestamp, signature: signature, now: at + offset)
            return nil
        } catch {
            return error
        }
    }
    var at: Date { Date(timeIntervalSince1970: Double(Self.example.timestamp)!) }
    var body: Data { Data(Self.example.body.utf8) }

    @Test func slacksOwnExampleVerifies() {
        #expect(refusal() == nil)
        #expect(refusal(at: 300) == nil)
        #expect(refusal(at: -300) == nil)
    }

    @Test func aReplayOutsideTheWindowIsRefused() {
        #expect(refusal(at: 301) == .stale(ageSeconds: 301))
        #expect(refusal(at: -301) == .stale(ageSeconds: -301))
    }

    @Test func forgeriesAreRefused() {
        var tampered = body
        tampered.append(contentsOf: Array("&text=close".utf8))
        #expect(refusal(body: tampered) == .badSignature)
        #expect(refusal(SlackRequestVerifier(signingSecret: "not-the-secret")) == .badSignature)
        #expect(refusal(signature: "v1=" + Self.example.expected_signature.dropFirst(3)) == .badSignature)
        #expect(refusal(signature: "v0=zz") == .badSignature)
        #expect(refusal(timestamp: nil) == .missingHeaders)
        #expect(refusal(signature: nil) == .missingHeaders)
        #expect(refusal(timestamp: "yesterday") == .malformedTimestamp)
        // The timestamp is signed too: moving it invalidates the signature.
        #expect(refusal(timestamp: String(Int(Self.example.timestamp)! + 10)) == .badSignature)
    }

    /// Hex is case-insensitive: an upper-cased signature verifies, and comes back in the one form the replay memory keys on.
    @Test func aSignatureInAnyCaseVerifiesToOneCanonicalForm() throws {
        let upper = "V0=" + Self.example.expected_signature.dropFirst(3).uppercased()
        #expect(refusal(signature: upper) == nil)
        let canonical = try verifier.verify(body: body, timestamp: Self.example.timestamp, signature: upper, now: at)
        #expect(canonical == Self.example.expected_signature)
    }
}
