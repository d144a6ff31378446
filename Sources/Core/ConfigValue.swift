import Foundation

/// A parameter value from the manifests: the JSON-like subset of YAML that check parameters use.
package enum ConfigValue: Codable, Sendable, Equatable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([ConfigValue])
    case map([String: ConfigValue])

    package var string: String? { if case .string(let s) = self { s } else { nil } }
    package var number: Double? {
        switch self {
        case .number(let n): n
        case .string(let s): Double(s)
        default: nil
        }
    }
    package var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    package var list: [ConfigValue]? { if case .list(let l) = self { l } else { nil } }
    package var strings: [String]? {
        switch self {
        case .list(let l): l.compactMap(\.string)
        case .string(let s): [s]
        default: nil
        }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([ConfigValue].self) { self = .list(l) }
        else { self = .map(try c.decode([String: ConfigValue].self)) }
    }
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .list(let l): try c.encode(l)
        case .map(let m): try c.encode(m)
        }
    }
}
