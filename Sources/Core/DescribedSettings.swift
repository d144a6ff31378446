import Foundation

/// A source's `settings:` or a check's parameters, read only through their specs: the one way sources and checks
/// read their configuration. A key left out reads the spec's `defaultValue` (written nowhere else); a value is
/// checked against the spec as `soc2bot validate` checks it (type, allowed values, range, http(s) URL, non-empty
/// path), so a block built without validation (tests, the demo) gets the same answers. Asking for a key the specs do
/// not declare, or as another kind than declared, throws `SettingsError`: a programmer error a test sees at once.
///
/// Each typed read comes in two forms: `bool("x")` for a key with a default or a required one (a required key left
/// out is refused like a bad value), `bool(ifSet: "x")` for one whose absence means something (nil).
package struct DescribedSettings: Sendable {
    package let specs: [SettingSpec]
    package let values: [String: ConfigValue]
    /// Who the settings belong to, in `SettingsError`s: "source kind `aws`", "check type `mfa`".
    package let owner: String
    /// The error for a value that does not fit its spec, or a required key left out: the owner's own error (a source's
    /// `SourceError.unavailable`, a check's `CheckError.badParameter`), from the key and what is wrong ("must be true
    /// or false").
    let refusal: @Sendable (_ key: String, _ reason: String) -> any Error

    private static var largestNumber: Double { SettingSpec.largestNumber }

    package init(specs: [SettingSpec], values: [String: ConfigValue], owner: String,
                 refusal: @escaping @Sendable (_ key: String, _ reason: String) -> any Error) {
        self.specs = specs; self.values = values; self.owner = owner; self.refusal = refusal
    }

    /// The same specs with no values: every read answers the default (for a setting whose empty value means "the default").
    package var defaults: DescribedSettings { DescribedSettings(specs: specs, values: [:], owner: owner, refusal: refusal) }

    // MARK: Reads, one pair per kind

    /// A `.string` value (any scalar, as validation keeps it: `42` is the text `42`) or a `.oneOf` one (one of the
    /// allowed texts).
    package func string(_ name: String) throws -> String { try present(name, string(ifSet: name)) }
    package func string(ifSet name: String) throws -> String? {
        try read(name, as: "text") { kind in
            if case .oneOf = kind { return true }
            return kind == .string
        } convert: { spec, value in
            let scalar: String? = switch value {
            case .string(let text): text
            case .number(let number) where spec.kind == .string && number.isFinite:
                number == number.rounded() && abs(number) <= Self.largestNumber ? String(Int(number)) : String(number)
            case .bool(let flag) where spec.kind == .string: flag ? "true" : "false"
            default: nil
            }
            guard let text = scalar else { return .failure("must be text") }
            if case .oneOf(let allowed) = spec.kind, !allowed.contains(text) {
                let choices = allowed.map { "`\($0)`" }.joined(separator: ", ")
                return .failure("`\(text)` is not allowed; use one of \(choices)")
            }
            return .success(text)
        }
    }

    /// A `.strings` value: a list of texts (one text alone is a list of one, as a config built in code may hold it).
    package func strings(_ name: String) throws -> [String] { try present(name, strings(ifSet: name)) }
    package func strings(ifSet name: String) throws -> [String]? {
        try read(name, as: "a list of texts", { $0 == .strings }) { _, value in
            if case .string(let text) = value { return .success([text]) }
            guard case .list(let items) = value else { return .failure("must be a list of texts") }
            let texts = items.compactMap(\.string)
            return texts.count == items.count ? .success(texts) : .failure("must be a list of texts")
        }
    }

    /// A `.bool` value.
    package func bool(_ name: String) throws -> Bool { try present(name, bool(ifSet: name)) }
    package func bool(ifSet name: String) throws -> Bool? {
        try read(name, as: "true/false", { $0 == .bool }) { _, value in
            guard case .bool(let flag) = value else { return .failure("must be true or false") }
            return .success(flag)
        }
    }

    /// A `.number` value, within the spec's range.
    package func number(_ name: String) throws -> Double { try present(name, number(ifSet: name)) }
    package func number(ifSet name: String) throws -> Double? {
        try read(name, as: "a number", { $0 == .number }) { spec, value in Self.number(value, spec: spec, whole: false) }
    }

    /// An `.integer` value, within the spec's range.
    package func integer(_ name: String) throws -> Int { try present(name, integer(ifSet: name)) }
    package func integer(ifSet name: String) throws -> Int? {
        try read(name, as: "a whole number", { $0 == .integer }) { spec, value in
            Self.number(value, spec: spec, whole: true).map { Int($0) }
        }
    }

    /// A `.numbers` value: a list of numbers within the manifests' limits.
    package func numbers(_ name: String) throws -> [Double] { try present(name, numbers(ifSet: name)) }
    package func numbers(ifSet name: String) throws -> [Double]? {
        try read(name, as: "a list of numbers", { $0 == .numbers }) { _, value in
            guard case .list(let items) = value else { return .failure("must be a list of numbers") }
            let numbers = items.compactMap { item -> Double? in
                guard case .number(let number) = item, number.isFinite, abs(number) <= Self.largestNumber else { return nil }
                return number
            }
            return numbers.count == items.count ? .success(numbers) : .failure("must be a list of numbers between -1000000000 and 1000000000")
        }
    }

    /// A `.numbers` value as whole numbers (ports, tiers), each rounded toward zero.
    package func integers(_ name: String) throws -> [Int] { try present(name, integers(ifSet: name)) }
    package func integers(ifSet name: String) throws -> [Int]? {
        try numbers(ifSet: name).map { $0.map { Int($0.rounded(.towardZero)) } }
    }

    /// A `.duration` value, in seconds.
    package func duration(_ name: String) throws -> TimeInterval { try present(name, duration(ifSet: name)) }
    package func duration(ifSet name: String) throws -> TimeInterval? {
        try read(name, as: "a duration", { $0 == .duration }) { _, value in
            guard case .string(let text) = value, let seconds = DurationText.parse(text) else {
                return .failure("must be a duration such as 24h or 7d")
            }
            return .success(seconds)
        }
    }

    /// A `.url` value: an absolute http(s) URL with a host.
    package func url(_ name: String) throws -> URL { try present(name, url(ifSet: name)) }
    package func url(ifSet name: String) throws -> URL? {
        try read(name, as: "an http(s) URL", { $0 == .url }) { _, value in
            guard case .string(let raw) = value else { return .failure("must be an http(s) URL") }
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty else {
                return .failure("`\(text)` is not an http(s) URL")
            }
            return .success(url)
        }
    }

    /// A `.path` value, trimmed, never empty.
    package func path(_ name: String) throws -> String { try present(name, path(ifSet: name)) }
    package func path(ifSet name: String) throws -> String? {
        try read(name, as: "a path", { $0 == .path }) { _, value in
            guard case .string(let raw) = value else { return .failure("must be a path") }
            let path = raw.trimmingCharacters(in: .whitespaces)
            return path.isEmpty ? .failure("is empty") : .success(path)
        }
    }

    /// A `.map` value.
    package func map(ifSet name: String) throws -> [String: ConfigValue]? {
        try read(name, as: "a mapping", { $0 == .map }) { _, value in
            guard case .map(let entries) = value else { return .failure("must be a mapping") }
            return .success(entries)
        }
    }

    // MARK: The one lookup

    /// What is wrong with a value, in the words a refusal uses ("must be true or false").
    private struct Problem: Error, ExpressibleByStringInterpolation {
        let reason: String
        init(stringLiteral value: String) { reason = value }
    }

    /// The spec of `name` (thrown as undeclared when there is none, or as the wrong kind when `fits` refuses its kind),
    /// then its value, else its default, converted; nil when neither is there.
    private func read<T>(_ name: String, as asked: String, _ fits: (SettingSpec.Kind) -> Bool,
                         convert: (SettingSpec, ConfigValue) -> Result<T, Problem>) throws -> T? {
        guard let spec = specs.first(where: { $0.name == name }) else { throw SettingsError.undeclared(owner: owner, key: name) }
        guard fits(spec.kind) else { throw SettingsError.wrongKind(owner: owner, key: name, declared: spec.kind.description, asked: asked) }
        if let value = values[name] {
            switch convert(spec, value) {
            case .success(let typed): return typed
            case .failure(let problem): throw refusal(name, problem.reason)
            }
        }
        guard let fallback = spec.defaultValue else { return nil }
        switch convert(spec, fallback) {
        case .success(let typed): return typed
        case .failure(let problem): throw SettingsError.badDefault(owner: owner, key: name, reason: problem.reason)
        }
    }

    /// The value of a read that must have one: a required key left out is refused (saying what it is for); a key
    /// with neither a default nor `required` must be read with `ifSet:`.
    private func present<T>(_ name: String, _ value: T?) throws -> T {
        if let value { return value }
        guard let spec = specs.first(where: { $0.name == name }), spec.required else { throw SettingsError.noDefault(owner: owner, key: name) }
        throw refusal(name, "is required: \(spec.help)")
    }

    /// A number or whole number within the manifests' limits and the spec's range.
    private static func number(_ value: ConfigValue, spec: SettingSpec, whole: Bool) -> Result<Double, Problem> {
        let noun = whole ? "a whole number" : "a number"
        func shown(_ bound: Double) -> String { bound == bound.rounded() ? String(Int(bound)) : String(bound) }
        let range = spec.range ?? -largestNumber...largestNumber
        let allowed = "\(noun) from \(shown(range.lowerBound)) to \(shown(range.upperBound))"
        guard case .number(let number) = value, number.isFinite, abs(number) <= largestNumber, range.contains(number),
              !whole || number == number.rounded() else {
            return .failure("must be \(allowed)")
        }
        return .success(number)
    }
}
