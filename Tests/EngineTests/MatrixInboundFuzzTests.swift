import Chat
import Core
import Foundation
import HTTP
import Store
import Testing
import TestSupport
@testable import Engine

/// Mutated /sync answers (bytes and structure) through the Matrix inbound decoder: commands, thread replies,
/// reactions, invites and `m.direct` account data, with fields deleted, retyped, nested and garbled. Each answer is
/// processed or refused; a trap kills the test process, so the run is the crash detector. The alert stays valid.
///
/// `SOC2BOT_FUZZ_ITERATIONS`, `SOC2BOT_FUZZ_SEED` and `SOC2BOT_FUZZ_OUT` run it longer (scripts/fuzz).
@Suite("Matrix inbound under fuzzing")
struct MatrixInboundFuzzTests {
    static let seeds: [String] = [
        #"{"next_batch":"s1","rooms":{"join":{"!infra:hs":{"timeline":{"events":[{"event_id":"$1","sender":"@dana:hs","type":"m.room.message","content":{"msgtype":"m.text","body":"!soc2 snooze A-1 2d waiting for the vendor"}}]}}}}}"#,
        #"{"rooms":{"join":{"!infra:hs":{"timeline":{"events":[{"event_id":"$2","sender":"@dana:hs","type":"m.room.message","content":{"msgtype":"m.text","body":"!soc2 ack","m.relates_to":{"rel_type":"m.thread","event_id":"$root"}}}]}}}}}"#,
        #"{"rooms":{"join":{"!infra:hs":{"timeline":{"events":[{"event_id":"$3","sender":"@dana:hs","type":"m.reaction","content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$root","key":"👀"}}}]}}}}}"#,
        #"{"rooms":{"invite":{"!infra:hs":{},"!other:hs":{}},"join":{}},"account_data":{"events":[{"type":"m.direct","content":{"@dana:hs":["!dm:hs"]}}]}}"#,
        #"{"rooms":{"join":{"!dm:hs":{"timeline":{"events":[{"event_id":"$4","sender":"@dana:hs","type":"m.room.message","content":{"msgtype":"m.text","body":"!soc2 close A-1 rotated the key https://t.example/1"}}]}}}}}"#,
    ]

    nonisolated(unsafe) static let hostile: [Any] = [NSNull(), true, 0, -1, 1e300, Double.greatestFiniteMagnitude, "", "!soc2", "!soc2 accept A-1 9223372036854775808w x",
                                 "!soc2 snooze A-99999999999999999999 2d x", "⬆️", String(repeating: "x", count: 70_000), [Any](), [String: Any](),
                                 ["event_id": "$x"], [["a": 1]], "$root", "@dana:hs", "m.thread", "m.annotation"]

    /// Deletes, retypes or wraps one value somewhere in `value`.
    static func mutate(_ value: Any, _ rng: inout SeededGenerator, depth: Int = 0) -> Any {
        let here = Int.random(in: 0..<4, using: &rng) == 0 || depth > 8
        if var object = value as? [String: Any], !object.isEmpty, !here {
            let key = object.keys.sorted().randomElement(using: &rng)!
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: object[key] = nil
            case 1: object[key] = hostile.randomElement(using: &rng)!
            default: object[key] = mutate(object[key]!, &rng, depth: depth + 1)
            }
            return object
        }
        if var array = value as? [Any], !array.isEmpty, !here {
            let i = Int.random(in: 0..<array.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: array.remove(at: i)
            case 1: array.append(array[i])
            default: array[i] = mutate(array[i], &rng, depth: depth + 1)
            }
            return array
        }
        return Bool.random(using: &rng) ? hostile.randomElement(using: &rng)! : [value]
    }

    /// Flips, cuts or splices bytes of `data`.
    static func garble(_ data: Data, _ rng: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes = Array(bytes.prefix(i))
            case 1: bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 2: bytes.insert(Array("{}[]\":,\\0-".utf8).randomElement(using: &rng)!, at: i)
            default: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return Data(bytes)
    }

    @Test func mutatedSyncAnswersAreProcessedOrRefused() async throws {
        var rng = Fuzzing.generator(0x50C2_2001)
        let engine = try MatrixCommandTextTests.engineWithAnAlert()
        let transport = CannedTransport { _, _ in HTTPResponse(status: 200, body: Data(#"{"event_id":"$reply","room_id":"!dm:hs"}"#.utf8)) }
        let inbound = MatrixInbound(client: MatrixClient(homeserver: URL(string: "http://127.0.0.1:9")!, accessToken: "t", transport: transport),
                                    userID: "@bot:hs", commands: CommandHandler(engine: engine, clock: VirtualClock(start: EngineFixtures.t0 + 60)),
                                    doorbell: Doorbell(), logger: EngineFixtures.logger, wireClock: TestClock())
        let trees = try Self.seeds.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        var processed = 0
        for iteration in 0..<Fuzzing.iterations(300) {
            var answer = trees.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) { answer = (Self.mutate(answer, &rng) as? [String: Any]) ?? answer }
            // Fresh event ids, so every answer is handled rather than skipped as already seen.
            var data = (try? JSONSerialization.data(withJSONObject: answer)) ?? Data()
            data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"$", with: "\"$i\(iteration)-").utf8)
            if Int.random(in: 0..<3, using: &rng) == 0 { data = Self.garble(data, &rng) }
            Fuzzing.running("matrix-sync", data)
            guard let decoded = try? MatrixSyncResponse(json: data) else { continue }
            do {
                try await inbound.process(decoded, initial: false)
                processed += 1
            } catch {
                #expect(!"\(error)".isEmpty)
            }
        }
        #expect(processed > 0)
        #expect(try engine.database.read { try $0.alert(AlertID(1)) } != nil, "the alert is still readable")
    }
}
