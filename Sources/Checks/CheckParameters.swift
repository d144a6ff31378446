import Core
import FactSources
import Foundation

/// Typed access to a check's manifest parameters, with the catalog defaults. Manifests are validated before
/// the bot starts; these accessors still refuse ill-typed values instead of guessing.
struct CheckParameters {
    let values: [String: ConfigValue]

    func duration(_ name: String, default value: TimeInterval) throws -> TimeInterval {
        guard let raw = values[name] else { return value }
        guard let text = raw.string, let seconds = DurationText.parse(text) else {
            throw CheckError.badParameter(name: name, reason: "expected a duration such as 24h or 7d")
        }
        return seconds
    }
    func number(_ name: String, default value: Double) throws -> Double {
        guard let raw = values[name] else { return value }
        guard let n = raw.number else { throw CheckError.badParameter(name: name, reason: "expected a number") }
        return n
    }
    /// A whole-number parameter (ports, tiers, counts): the number rounded toward zero, refused when it is not finite
    /// or beyond ±1,000,000,000 (validation reports those first; this never traps on what slips through).
    func integer(_ name: String, default value: Int) throws -> Int {
        guard values[name] != nil else { return value }
        return try Self.whole(number(name, default: 0), name: name)
    }
    func integers(_ name: String) throws -> [Int]? {
        try numbers(name)?.map { try Self.whole($0, name: name) }
    }
    private static func whole(_ number: Double, name: String) throws -> Int {
        guard number.isFinite, abs(number) <= 1_000_000_000 else {
            throw CheckError.badParameter(name: name, reason: "expected a number between -1000000000 and 1000000000")
        }
        return Int(number.rounded(.towardZero))
    }
    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let raw = values[name] else { return value }
        guard let b = raw.bool else { throw CheckError.badParameter(name: name, reason: "expected true or false") }
        return b
    }
    func strings(_ name: String) throws -> [String]? {
        guard let raw = values[name] else { return nil }
        guard let list = raw.strings, list.count == (raw.list?.count ?? 1) else {
            throw CheckError.badParameter(name: name, reason: "expected a list of names")
        }
        return list
    }
    func numbers(_ name: String) throws -> [Double]? {
        guard let raw = values[name] else { return nil }
        guard let list = raw.list?.compactMap(\.number), list.count == raw.list?.count else {
            throw CheckError.badParameter(name: name, reason: "expected a list of numbers")
        }
        return list
    }
}
extension CheckParameters {
    /// The `min_severity` parameter.
    static func severity(_ p: CheckParameters, default fallback: Severity) throws -> Severity {
        guard let name = try p.strings("min_severity")?.first else { return fallback }
        guard let severity = Severity(rawValue: name) else { throw CheckError.badParameter(name: "min_severity", reason: "expected critical, high, medium or low") }
        return severity
    }
}

extension String {
    /// Case-insensitive membership of a system name in an optional filter list.
    func isSelected(by filter: [String]?) -> Bool {
        guard let filter else { return true }
        return filter.contains { $0.caseInsensitiveCompare(self) == .orderedSame }
    }

}
