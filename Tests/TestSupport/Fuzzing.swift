import Foundation

/// SplitMix64: a tiny seeded generator, so every fuzz run sees the same inputs and a failure reproduces.
package struct SeededGenerator: RandomNumberGenerator {
    package var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How long the fuzz tests run, from the environment, so CI runs each for a few seconds and `scripts/fuzz` for as
/// long as it likes with the same tests:
/// - `SOC2BOT_FUZZ_ITERATIONS`: cases per fuzz test (default: each test's own, small count);
/// - `SOC2BOT_FUZZ_SEED`: mixed into every test's seed (default 0: the seeds CI always uses);
/// - `SOC2BOT_FUZZ_OUT`: a directory where each case is written before it runs (`<name>.case`), so a case that
///   kills the process (a trap) is left behind as the reproducer; cases that fail an expectation are kept as
///   `<name>-failure-<n>.case`.
package enum Fuzzing {
    /// `base`, or `SOC2BOT_FUZZ_ITERATIONS` when set.
    package static func iterations(_ base: Int) -> Int {
        ProcessInfo.processInfo.environment["SOC2BOT_FUZZ_ITERATIONS"].flatMap(Int.init).map { max(1, $0) } ?? base
    }

    /// A generator for the test `seed`, varied by `SOC2BOT_FUZZ_SEED`.
    package static func generator(_ seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (ProcessInfo.processInfo.environment["SOC2BOT_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0))
    }

    private static let out = ProcessInfo.processInfo.environment["SOC2BOT_FUZZ_OUT"].map { URL(fileURLWithPath: $0) }

    /// Records `input` as the case `name` is about to run (only with `SOC2BOT_FUZZ_OUT`).
    package static func running(_ name: String, _ input: Data) {
        guard let out else { return }
        try? input.write(to: out.appendingPathComponent("\(name).case"))
    }

    /// Keeps `input` as a failing case of `name`; returns where, for the failure message.
    @discardableResult
    package static func keep(_ name: String, _ input: Data) -> String {
        guard let out else { return "(set SOC2BOT_FUZZ_OUT to keep failing cases)" }
        let url = out.appendingPathComponent("\(name)-failure-\(UUID().uuidString.prefix(8)).case")
        try? input.write(to: url)
        return url.path
    }
}
