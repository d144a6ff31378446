@testable import Chat
import Core
import Foundation
import TestSupport
import Testing

/// Random, truncated and mutated input through every inbound decoder: each outcome is a value or a typed error
/// (never a crash or a hang), errors stay short and printable, and values keep their documented invariants.
@Suite("Slack inbound decoders under fuzzing")
struct SlackInboundFuzzTests {
    // MARK: Generators

    static let words = ["/soc2", "!soc2", "soc2", "status", "list", "ls", "show", "ack", "acknowledge", "snooze", "escalate", "close",
                        "accept", "help", "?", "A-7", "a-7", "#7", "7", "A-0", "A--1", "A-99999999999999999999", "2d", "1w", "4h",
                        "1d12h", "0d", "30m", "90s", "99999999999999999999999d", "1y", "d", "https://tickets.example/OPS-12",
                        "http://", "https://", "ftp://x", "waiting", "for", "the", "vendor's", "fix", "&", "=", "+", "%", "%2",
                        "%ZZ", "é", "🔥", "\u{202E}", "\u{0}", "\t", "\n", "\r\n", "  ", "\"", "\\", "{", "}", "[", "]"]

    static func text(_ rng: inout SeededGenerator) -> String {
        var out: [String] = []
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            if Int.random(in: 0..<5, using: &rng) == 0 {
                out.append(String(String.UnicodeScalarView((0..<Int.random(in: 1...6, using: &rng)).compactMap { _ in
                    Unicode.Scalar(UInt32.random(in: 0...0x2FFFF, using: &rng))
                })))
            } else {
                out.append(words.randomElement(using: &rng)!)
            }
        }
        return out.joined(separator: [" ", " ", " ", "  ", "\t", ""].randomElement(using: &rng)!)
    }

    /// Form-encodes bytes the many ways a client may: unreserved bytes kept or escaped, space as `+` or `%20`,
    /// hex in either case.
    static let upperHex = Array("0123456789ABCDEF")
    static let lowerHex = Array("0123456789abcdef")

    static func formEscape(_ bytes: some Sequence<UInt8>, _ rng: inout SeededGenerator) -> String {
        var out = ""
        for byte in bytes {
            let unreserved = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved && Bool.random(using: &rng) {
                out.append(Character(Unicode.Scalar(byte)))
            } else if byte == UInt8(ascii: " ") && Bool.random(using: &rng) {
                out.append("+")
            } else {
                let digits = Bool.random(using: &rng) ? upperHex : lowerHex
                out.append("%")
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    static func randomBytes(_ rng: inout SeededGenerator) -> Data {
        let alphabet = Array("{}[]\":,=&%+0123456789abcdefABCDEF ntrulsefa\\".utf8)
        return Data((0..<Int.random(in: 0...400, using: &rng)).map { _ in
            Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        })
    }

    static func mutate(_ data: Data, _ rng: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { bytes = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes = Array(bytes.prefix(i))
            case 1: bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 2: bytes.insert(Array("{}[]\":,\\0n-".utf8).randomElement(using: &rng)!, at: i)
            case 3: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...40, using: &rng)))
            case 4: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + Int.random(in: 1...60, using: &rng))], at: Int.random(in: 0...bytes.count, using: &rng))
            case 5: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            default: bytes = Array(bytes.suffix(from: i))
            }
        }
        return Data(bytes)
    }

    static func randomJSON(_ rng: inout SeededGenerator, depth: Int = 0) -> InboundJSON {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number([0, -1, 1.5, 1e300, 4, 1_772_000_000].randomElement(using: &rng)!)
        case 3: return .string(text(&rng))
        case 4: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) })
        default:
            return .object(Dictionary((0..<Int.random(in: 0...3, using: &rng)).map { _ in
                ([ "type", "value", "id", "action_id", "selected_option", words.randomElement(using: &rng)!].randomElement(using: &rng)!, randomJSON(&rng, depth: depth + 1))
            }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// Replaces, deletes or wraps one random node of `value`.
    static func mutateTree(_ value: InboundJSON, _ rng: inout SeededGenerator, depth: Int = 0) -> InboundJSON {
        let here = Int.random(in: 0..<4, using: &rng) == 0 || depth > 8
        switch value {
        case .object(var o) where !o.isEmpty && !here:
            let key = o.keys.sorted().randomElement(using: &rng)!
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: o[key] = nil
            case 1: o[key] = randomJSON(&rng)
            default: o[key] = mutateTree(o[key]!, &rng, depth: depth + 1)
            }
            return .object(o)
        case .array(var a) where !a.isEmpty && !here:
            let i = Int.random(in: 0..<a.count, using: &rng)
            if Bool.random(using: &rng) { a[i] = mutateTree(a[i], &rng, depth: depth + 1) } else { a.remove(at: i) }
            return .array(a)
        default:
            return Bool.random(using: &rng) ? randomJSON(&rng) : .array([value])
        }
    }

    // MARK: Seeds

    static let seeds: [String] = {
        let command = SlackSamples.slashCommandFields(text: "snooze A-7 2d vendor")
        let commandJSON = String(decoding: InboundJSON.object(Dictionary(uniqueKeysWithValues: command.map { ($0.0, InboundJSON.string($0.1)) })).data, as: UTF8.self)
        return [
            SlackSamples.buttonClick, SlackSamples.overflowChoice(), SlackSamples.snoozeSubmission, SlackSamples.viewClosed, commandJSON,
            #"{"envelope_id":"e1","type":"slash_commands","accepts_response_payload":true,"payload":\#(commandJSON)}"#,
            #"{"envelope_id":"e2","type":"interactive","accepts_response_payload":true,"payload":\#(SlackSamples.snoozeSubmission)}"#,
            #"{"type":"hello","num_connections":1,"debug_info":{"host":"h","approximate_connection_time":18060},"connection_info":{"app_id":"A1"}}"#,
            #"{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"h"}}"#,
            #"{"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=1"}"#,
        ]
    }()

    // MARK: Checks

    /// Runs `data` through every decoder; returns how many decoded to a value.
    @discardableResult
    static func exercise(_ data: Data, _ rng: inout SeededGenerator) -> Int {
        var values = 0
        func check(_ error: SlackInboundError) {
            let text = error.description
            if text.count > 240 || text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                Issue.record("unsafe error description: \(text.debugDescription)")
            }
        }
        func attempt<T>(_ body: () throws -> T) -> T? {
            do {
                let value = try body()
                values += 1
                return value
            } catch let error as SlackInboundError {
                check(error)
            } catch {
                Issue.record("not a SlackInboundError: \(error)")
            }
            return nil
        }
        if let json = attempt({ try InboundJSON.parse(data, what: "payload") }) {
            if let interaction = attempt({ try SlackInteraction(payload: json) }) { checkInteraction(interaction) }
            if let command = attempt({ try SlackSlashCommandRequest(payload: json) }) { _ = command.parsed }
        }
        _ = attempt { try SocketModeFrame.decode(data) }
        _ = attempt { try SlackSocketMode.connectionURL(from: data) }
        // The same bytes as an HTTP body: as the form itself, and inside the `payload` field.
        _ = attempt { try SlackForm.fields(data) }
        if let command = attempt({ try SlackSlashCommandRequest(formBody: data) }) { _ = command.parsed }
        let body = Data(("payload=" + formEscape(data, &rng)).utf8)
        if let interaction = attempt({ try SlackInteraction(formBody: body) }) { checkInteraction(interaction) }
        return values
    }

    static func checkInteraction(_ interaction: SlackInteraction) {
        switch interaction {
        case .blockActions(let click):
            for action in click.actions {
                if let chat = action.chatAction, chat.alert.rawValue <= 0 || chat.version <= 0 { Issue.record("impossible action \(chat)") }
            }
        case .viewSubmission(let submission):
            checkDecision(SlackModal.submission(submission), blocks: nil)
        case .viewClosed, .unsupported:
            break
        }
    }

    static func checkDecision(_ result: Result<ModalDecision, ModalErrors>, blocks: Set<String>?) {
        switch result {
        case .success(let decision):
            switch decision.choice {
            case .snooze(let duration, let rationale), .accept(let duration, let rationale):
                if !(duration > 0 && duration <= 366 * 86_400) || rationale.isEmpty || rationale != rationale.trimmingCharacters(in: .whitespacesAndNewlines) {
                    Issue.record("invalid decision accepted: \(decision)")
                }
            case .close(let remediation, let link):
                if remediation.isEmpty || link.map({ !($0.hasPrefix("http://") || $0.hasPrefix("https://")) }) == true {
                    Issue.record("invalid decision accepted: \(decision)")
                }
            }
            if decision.alert.rawValue <= 0 || decision.version <= 0 { Issue.record("impossible decision \(decision)") }
        case .failure(.fields(let errors)):
            if errors.isEmpty { Issue.record("a refusal without errors") }
            if let blocks, !Set(errors.keys).isSubset(of: blocks) { Issue.record("errors on blocks the view lacks: \(errors.keys)") }
        case .failure(.metadata(let problem)):
            if problem.isEmpty || problem.count > 80 { Issue.record("metadata problem \(problem.debugDescription)") }
        }
    }

    // MARK: Tests

    @Test func slashCommandTextsParseOrExplainAndSurviveFormEncoding() throws {
        var rng = Fuzzing.generator(0x50C2_0001)
        var parsed = 0
        for _ in 0..<Fuzzing.iterations(4_000) {
            let text = Self.text(&rng)
            switch SlashCommand.parse(text) {
            case .success(let command):
                parsed += 1
                switch command {
                case .snooze(let id, let duration, let rationale), .accept(let id, let duration, let rationale):
                    #expect(id.rawValue > 0 && duration > 0 && !rationale.isEmpty)
                case .close(let id, let remediation, _):
                    #expect(id.rawValue > 0 && !remediation.isEmpty)
                default:
                    #expect((command.alert?.rawValue ?? 1) > 0)
                }
            case .failure(let error):
                #expect(!error.description.isEmpty)
            }
            // Whatever the text, Slack's form carries it to us unchanged, however it was escaped.
            let fields = SlackSamples.slashCommandFields(text: text)
            let body = Data(fields.map { "\(Self.formEscape($0.0.utf8, &rng))=\(Self.formEscape($0.1.utf8, &rng))" }.joined(separator: "&").utf8)
            let request = try SlackSlashCommandRequest(formBody: body)
            #expect(request.text == text)
            #expect(request.parsed == SlashCommand.parse(text))
        }
        #expect(parsed > 200, "the generator reaches valid commands too (\(parsed))")
    }

    /// A Retry-After header is the server's text: `inf`, `nan` and 1e300 are Doubles too, and are printed, not trapped on.
    @Test(arguments: [Double.infinity, -.infinity, .nan, 1e300, -1, 30])
    func anyRetryAfterPrints(_ seconds: Double) {
        #expect(DeliveryError.retryAfter(seconds).description.hasPrefix("rate limited: retry after "))
    }

    @Test func randomBytesGetAValueOrAnError() {
        var rng = Fuzzing.generator(0x50C2_0002)
        for _ in 0..<Fuzzing.iterations(2_500) { Self.exercise(Self.randomBytes(&rng), &rng) }
        for _ in 0..<Fuzzing.iterations(500) {
            // Random form bodies with real field names.
            let fields = ["payload", "team_id", "text", "user_id", "command", "trigger_id", "%", "="].shuffled(using: &rng).prefix(Int.random(in: 0...8, using: &rng))
            let body = fields.map { "\($0)=\(Self.formEscape(Self.randomBytes(&rng).prefix(40), &rng))" }.joined(separator: Bool.random(using: &rng) ? "&" : "&&")
            Self.exercise(Data(body.utf8), &rng)
        }
    }

    @Test func truncatedAndMutatedPayloadsGetAValueOrAnError() {
        var rng = Fuzzing.generator(0x50C2_0003)
        var decoded = 0
        for seed in Self.seeds {
            decoded += Self.exercise(Data(seed.utf8), &rng)
        }
        #expect(decoded >= Self.seeds.count, "every seed decodes somewhere")
        for _ in 0..<Fuzzing.iterations(3_000) {
            Self.exercise(Self.mutate(Data(Self.seeds.randomElement(using: &rng)!.utf8), &rng), &rng)
        }
    }

    @Test func structurallyMutatedPayloadsGetAValueOrAnError() {
        var rng = Fuzzing.generator(0x50C2_0004)
        let trees = Self.seeds.map { SlackSamples.json($0) }
        for _ in 0..<Fuzzing.iterations(2_500) {
            var tree = trees.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) { tree = Self.mutateTree(tree, &rng) }
            Self.exercise(tree.data, &rng)
        }
    }

    /// Unknown fields are ignored wherever they appear, except in `state.values` (whose keys are block and action ids).
    @Test func unknownFieldsAnywhereLeaveTheDecodedValueUnchanged() throws {
        var rng = Fuzzing.generator(0x50C2_0005)
        func addUnknown(_ value: InboundJSON, path: [String]) -> InboundJSON {
            switch value {
            case .object(var o):
                for key in o.keys { o[key] = addUnknown(o[key]!, path: path + [key]) }
                let inValues = path.suffix(2).contains("values")
                if !inValues && Int.random(in: 0..<3, using: &rng) == 0 { o["zz_unknown_\(Int.random(in: 0...999, using: &rng))"] = Self.randomJSON(&rng) }
                return .object(o)
            case .array(let a):
                return .array(a.map { addUnknown($0, path: path + ["[]"]) })
            default:
                return value
            }
        }
        let interactions = [SlackSamples.buttonClick, SlackSamples.overflowChoice(), SlackSamples.snoozeSubmission, SlackSamples.viewClosed]
        for _ in 0..<Fuzzing.iterations(300) {
            for sample in interactions {
                let original = try SlackInteraction(payload: SlackSamples.json(sample))
                #expect(try SlackInteraction(payload: addUnknown(SlackSamples.json(sample), path: [])) == original)
            }
        }
    }

    @Test func randomModalInputsAreDecidedOrRefusedOnTheirBlocks() throws {
        var rng = Fuzzing.generator(0x50C2_0006)
        let candidates = ["", " ", "2d", "366d", "367d", "52w2d", "0d", "1d 12h", "4h", "99999999999999999999w", "x", "https://t.example/1",
                          "http://", "ftp://x", "javascript:alert(1)", "  waiting for the vendor  ", "\n\t", String(repeating: "r", count: 3_001)]
        for _ in 0..<Fuzzing.iterations(600) {
            let kind = [ChatAction.Kind.snooze, .accept, .close].randomElement(using: &rng)!
            let view = try #require(SlackModal.view(for: ChatAction(kind: kind, alert: AlertID(Int64.random(in: 1...Int64.max, using: &rng)), version: Int.random(in: 1...Int.max, using: &rng)),
                                                    alertTitle: Self.text(&rng), origin: Bool.random(using: &rng) ? (Self.text(&rng), Self.text(&rng)) : nil))
            var typed: [String: String] = [:]
            for block in ["duration", "rationale", "remediation", "link"] where Int.random(in: 0..<4, using: &rng) > 0 {
                typed[block] = Bool.random(using: &rng) ? candidates.randomElement(using: &rng)! : Self.text(&rng)
            }
            let submission = try SlackModalTests.submit(view, typed: typed)
            let blocks = Set(view["blocks"]?.arrayValue?.compactMap { $0["block_id"]?.stringValue } ?? [])
            let result = SlackModal.submission(submission)
            if case .failure(.metadata(let problem)) = result { Issue.record("our own view refused: \(problem)") }
            Self.checkDecision(result, blocks: blocks)
        }
    }
}
