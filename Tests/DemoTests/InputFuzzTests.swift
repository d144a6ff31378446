import Checks
import Core
import Demo
import Foundation
import Manifests
import TestSupport
import Testing

/// Mutated copies of `manifests/demo` and its scenario through the manifest loader and the scenario loader: deleted
/// keys and lines, swapped value types, huge and deeply nested values, alias bombs, non-UTF-8 bytes. Every input is
/// either accepted or refused with positioned problems; a trap kills the test process, and a hang never ends it, so
/// the run itself is the crash and hang detector. What is accepted is then used the way the bot uses it (checks
/// built and run on the demo world, deadlines computed and printed), so nothing validation accepts traps later.
///
/// `SOC2BOT_FUZZ_ITERATIONS`, `SOC2BOT_FUZZ_SEED` and `SOC2BOT_FUZZ_OUT` run it longer (scripts/fuzz).
@Suite("Manifest and scenario files under fuzzing")
struct InputFuzzTests {
    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("manifests/demo")

    static let manifestFiles: [(name: String, data: Data)] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: demo.path))?.filter { $0.hasSuffix(".yaml") }.sorted() ?? []
        return names.map { ($0, FileManager.default.contents(atPath: demo.appendingPathComponent($0).path) ?? Data()) }
    }()
    static let scenario = FileManager.default.contents(atPath: demo.appendingPathComponent("scenarios/northwind.yaml").path) ?? Data()

    /// Values that have broken decoders before, written where a scalar was.
    static let hostile: [String] = [
        "", "~", "null", "[]", "{}", "[a, [b]]", "{x: {y: z}}", "true", "-1", "0", "1.5", ".inf", "-.inf", ".nan", "1e308", "-1e308",
        "4.9e-324", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "0x7fffffffffffffff", "0b1111", "0o777",
        "1:1:1:1:1:1:1:1:1:1:1:1", "99999999999999999:59", "9223372036854775808w", "99999999999999999999999d", "+9999999999999999999d",
        "-99999999999999999999s", "200000000000d", "73000d", "73001d", "1d 12h", "0d", "2026-02-30", "9999-12-31T23:59:59Z", "0000-01-01",
        "2026-03-02T08:00:00+25:00", "\"quoted\"", "'single'", "&anchor value", "*undefined", "!!binary aGk=", "!custom x", "? complex",
        "<<: *nothing", "|\n  block", ">-\n  folded", "\"\\u0000\"", "\"\\uD800\"", "é", "🔥", "\u{202E}rtl", "\t", "#comment",
        String(repeating: "x", count: 20_000), String(repeating: "[", count: 1_200) + String(repeating: "]", count: 1_200),
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300), String(repeating: "{a: ", count: 200) + "b" + String(repeating: "}", count: 200),
    ]

    /// A "billion laughs" of `depth` levels under `key`, as a block of lines at `indent` spaces.
    static func aliasBomb(depth: Int, indent: Int, key: String = "bomb") -> String {
        let pad = String(repeating: " ", count: indent)
        var lines = ["\(pad)\(key):", "\(pad)  k0: &b0 [\"lol\", \"lol\"]"]
        for level in 1..<max(2, depth) { lines.append("\(pad)  k\(level): &b\(level) [*b\(level - 1), *b\(level - 1)]") }
        return lines.joined(separator: "\n")
    }

    /// One to four edits of `data`: lines deleted, duplicated or swapped, values replaced by hostile ones, bytes
    /// flipped or made non-UTF-8, the text cut short, an alias bomb spliced in.
    static func mutate(_ data: Data, _ rng: inout SeededGenerator) -> Data {
        var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
        var bytes: [UInt8]? = nil
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !lines.isEmpty else { lines = [""]; continue }
            let i = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: lines.remove(at: i)                                                    // a deleted key
            case 1: lines.insert(lines[i], at: i)                                         // a duplicated key
            case 2: lines.swapAt(i, Int.random(in: 0..<lines.count, using: &rng))
            case 3, 4, 5:                                                                 // a swapped type / bad value
                let line = lines[i]
                if let colon = line.range(of: ": ") ?? line.range(of: ":") {
                    lines[i] = String(line[..<colon.upperBound]) + (colon.upperBound == line.endIndex || line[colon.upperBound] != " " ? " " : "")
                        + hostile.randomElement(using: &rng)!
                } else if let dash = line.range(of: "- ") {
                    lines[i] = String(line[..<dash.upperBound]) + hostile.randomElement(using: &rng)!
                } else {
                    lines[i] = hostile.randomElement(using: &rng)!
                }
            case 6:                                                                       // a value inside a flow mapping
                let line = lines[i]
                let commas = line.indices.filter { line[$0] == "," }
                if let comma = commas.randomElement(using: &rng) {
                    lines[i] = String(line[..<comma]) + ", k: " + hostile.randomElement(using: &rng)! + String(line[comma...])
                }
            case 7:
                let indent = lines[i].prefix(while: { $0 == " " }).count
                lines.insert(aliasBomb(depth: Int.random(in: 2...40, using: &rng), indent: indent), at: i)
            case 8: lines = Array(lines.prefix(i)) + [String(lines[i].prefix(Int.random(in: 0...lines[i].count, using: &rng)))]
            default:
                var raw = Array(lines.joined(separator: "\n").utf8)
                guard !raw.isEmpty else { continue }
                let at = Int.random(in: 0..<raw.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: raw[at] = [0xFF, 0xC3, 0x80, 0x00, 0xED, 0xA0].randomElement(using: &rng)!
                case 1: raw[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                default: raw.insert(contentsOf: [0xEF, 0xBB, 0xBF], at: at)
                }
                bytes = raw
                lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\n")
            }
        }
        // Byte edits last so a non-UTF-8 byte survives (a later line edit would have decoded it away).
        if let bytes, Bool.random(using: &rng) { return Data(bytes) }
        return Data(lines.joined(separator: "\n").utf8)
    }

    /// A problem must say where and what.
    static func checkProblem(_ problem: ManifestProblem, input: Data) {
        if problem.line < 1 || problem.column < 1 || problem.message.isEmpty || problem.fix.isEmpty {
            Issue.record("problem without a position or words: \(problem) — kept as \(Fuzzing.keep("manifests", input))")
        }
    }

    /// What the bot does with accepted manifests, short of the network: build every check and run it on the demo
    /// world, compute and print every deadline the escalation policy can set.
    static func use(_ config: BotConfig, world: WorldState, at now: Date) async {
        let runner = ControlRunner(sources: [DemoWorld(id: SourceID("demo"), initial: world)], aliases: AccountAliases(people: config.people))
        for control in config.controls where control.isAutomated { _ = await runner.run(control, at: now) }
        let policy = config.policy
        for duration in Array(policy.sla.values) + Array(policy.ackTimeout.values) + [policy.maxSnooze, policy.maxRiskAcceptance]
            + config.controls.flatMap({ [$0.cadence, $0.tolerance, $0.slaOverride ?? 0] }) {
            _ = TimeText.iso(now.addingTimeInterval(duration)) + TimeText.human(now.addingTimeInterval(-duration)) + DurationText.format(duration)
        }
    }

    @Test func mutatedManifestsAreAcceptedOrRefusedWithPositions() async throws {
        var rng = Fuzzing.generator(0x50C2_1001)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let world = try ScenarioLoader.parse(Self.scenario, file: "northwind.yaml").world
        let now = Date(timeIntervalSince1970: 1_772_438_400)
        var accepted = 0, refused = 0
        for _ in 0..<Fuzzing.iterations(150) {
            let victim = Int.random(in: 0..<Self.manifestFiles.count, using: &rng)
            var input = Data()
            for (index, file) in Self.manifestFiles.enumerated() {
                let data = index == victim ? Self.mutate(file.data, &rng) : file.data
                if index == victim { input = data }
                try data.write(to: dir.appendingPathComponent(file.name))
            }
            Fuzzing.running("manifests-\(Self.manifestFiles[victim].name)", input)
            switch ManifestLoader.load(directory: dir, catalog: .builtIn) {
            case .success(let config):
                accepted += 1
                await Self.use(config, world: world, at: now)
            case .failure(let problems):
                refused += 1
                if problems.problems.isEmpty { Issue.record("refused without a problem — kept as \(Fuzzing.keep("manifests", input))") }
                for problem in problems.problems { Self.checkProblem(problem, input: input) }
            }
        }
        #expect(refused > 0 && accepted > 0, "the mutations reach both outcomes (accepted \(accepted), refused \(refused))")
    }

    @Test func mutatedScenariosAreLoadedOrRefusedWithPositions() throws {
        var rng = Fuzzing.generator(0x50C2_1002)
        var loaded = 0, refused = 0
        for _ in 0..<Fuzzing.iterations(400) {
            let input = Self.mutate(Self.scenario, &rng)
            Fuzzing.running("scenario", input)
            do {
                let scenario = try ScenarioLoader.parse(input, file: "northwind.yaml", start: Bool.random(using: &rng) ? nil : Date(timeIntervalSince1970: 1_800_000_000))
                loaded += 1
                // What the demo prints and stores: every event's time, every dated fact.
                for event in scenario.events { _ = TimeText.iso(scenario.start.addingTimeInterval(event.offset)) + DurationText.format(event.offset) }
                let dates = scenario.world.training.compactMap(\.completedAt) + scenario.world.vendors.compactMap(\.reportPeriodEnd)
                    + scenario.world.people.compactMap(\.terminatedAt) + scenario.world.vulnerabilities.map(\.openedAt)
                for date in dates { _ = TimeText.iso(date) + TimeText.human(date) }
                _ = TimeText.iso(scenario.start.addingTimeInterval(scenario.duration))
            } catch let error as ScenarioError {
                refused += 1
                if error.problems.isEmpty || error.problems.contains(where: \.isEmpty) {
                    Issue.record("refused without a problem: \(error) — kept as \(Fuzzing.keep("scenario", input))")
                }
            }
        }
        #expect(refused > 0 && loaded > 0, "the mutations reach both outcomes (loaded \(loaded), refused \(refused))")
    }

    /// The reproducers of /work/shared/repro, generalised: bombs of every depth are refused quickly at their line.
    @Test(arguments: [10, 17, 20, 30, 64])
    func aliasBombsAreRefusedAtTheirLine(depth: Int) throws {
        let text = "name: bomb\nstart: 2026-03-02T08:00:00Z\nworld:\n" + Self.aliasBomb(depth: depth, indent: 2, key: "people") + "\n"
        let refusal = YamlLimits.expansionRefusal(text)
        if depth < 17 {
            #expect(refusal == nil, "2^\(depth) nodes are within the limit")
        } else {
            let line = try #require(refusal).line
            #expect(line > 4 && line <= 5 + depth)
            #expect(throws: ScenarioError.self) { try ScenarioLoader.parse(text, file: "bomb.yaml") }
        }
    }
}
