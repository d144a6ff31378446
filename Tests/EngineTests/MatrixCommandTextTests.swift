import Core
import Foundation
import Testing
@testable import Engine

/// How Matrix text becomes a command: thread replies name their alert implicitly; reaction keys are normalised.
@Suite("Matrix command text")
struct MatrixCommandTextTests {
    @Test(arguments: [
        ("!soc2 ack", "!soc2 ack A-7"),
        ("!soc2 snooze 2d waiting for the vendor", "!soc2 snooze A-7 2d waiting for the vendor"),
        ("!soc2 close rotated the key https://x", "!soc2 close A-7 rotated the key https://x"),
        ("!soc2 ack A-3", "!soc2 ack A-3"),
        ("!soc2 status", "!soc2 status"),
        ("!soc2 list infra", "!soc2 list infra"),
        ("!soc2", "!soc2"),
    ])
    func threadRepliesNameTheirAlert(_ input: String, _ expected: String) {
        #expect(MatrixInbound.completing(input, alert: AlertID(7)) == expected)
        #expect(MatrixInbound.completing(input, alert: nil) == input)
    }

    @Test func reactionKeysLoseTheirVariationSelectors() {
        #expect(MatrixInbound.normalise("⬆️") == "⬆")
        #expect(MatrixInbound.normalise("✅") == "✅")
        #expect(MatrixInbound.normalise("👀") == "👀")
        #expect(MatrixInbound.normalise("⏰\u{FE0E}") == "⏰")
    }

    @Test func completingNeverCrashesOnArbitraryText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("!soc2 ackA-7snooze \u{FE0F}⬆️ 2dclose\n\t")
        for _ in 0..<5_000 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let completed = MatrixInbound.completing(text, alert: AlertID(Int64.random(in: 1...1_000, using: &generator)))
            #expect(completed.count >= text.split(separator: " ").joined(separator: " ").count)
        }
    }
}
