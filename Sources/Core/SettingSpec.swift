import Foundation

/// One key a source's `settings:` or a check's parameters may hold: its type, whether it is required, its default
/// and what it means. `soc2bot validate` checks every block against these, and the manifests reference is generated
/// from them.
package struct SettingSpec: Sendable, Equatable {
    /// The type of a value, as the manifests write it.
    package enum Kind: Sendable, Equatable {
        /// Any scalar, kept as text (`42` is the text `"42"`).
        case string
        /// A list of texts.
        case strings
        /// `true` or `false`.
        case bool
        /// A number within ±1e9.
        case number
        /// A whole number within ±1e9.
        case integer
        /// A list of numbers within ±1e9.
        case numbers
        /// A positive duration (`30m`, `4h`, `7d`), kept as written.
        case duration
        /// An absolute `http://` or `https://` URL with a host.
        case url
        /// A file or directory path (relative to the working directory), non-empty.
        case path
        /// One of the given texts.
        case oneOf([String])
        /// A mapping of names to values of any type.
        case map

        /// How the reference and problem messages name it: "a list of texts", "one of `us`, `eu`".
        package var description: String {
            switch self {
            case .string: "text"
            case .strings: "list of texts"
            case .bool: "true/false"
            case .number: "number"
            case .integer: "whole number"
            case .numbers: "list of numbers"
            case .duration: "duration"
            case .url: "http(s) URL"
            case .path: "path"
            case .oneOf(let values): "one of " + values.map { "`\($0)`" }.joined(separator: ", ")
            case .map: "mapping"
            }
        }

        /// A value of this kind to show in a fix: `[a, b]`, `24h`, `https://example.com`.
        package var example: String {
            switch self {
            case .string: "<text>"
            case .strings: "[a, b]"
            case .bool: "true"
            case .number, .integer: "1"
            case .numbers: "[22, 3389]"
            case .duration: "24h"
            case .url: "https://example.com"
            case .path: "/var/lib/soc2bot/file"
            case .oneOf(let values): values.first ?? "<value>"
            case .map: "{key: value}"
            }
        }
    }

    /// The manifests' number limit (±1e9): validation refuses a number beyond it, and so does `DescribedSettings`.
    package static let largestNumber: Double = 1_000_000_000

    package var name: String
    package var kind: Kind
    package var required: Bool
    /// The value used when the key is left out, typed as a validated block holds it (`.bool(true)`, `.number(20)`, a
    /// duration as written: `.string("24h")`, `.list([.string("us-east-1")])`); nil when there is none or it depends
    /// on the environment (then `help` says what happens). The only place a default is written: sources and checks
    /// read it through `DescribedSettings`, and the reference shows it as `defaultText`.
    package var defaultValue: ConfigValue?
    package var help: String
    /// For a number or whole number: the values allowed (inclusive); nil: any within the manifests' number limits.
    package var range: ClosedRange<Double>?

    package init(_ name: String, _ kind: Kind, required: Bool = false, default defaultValue: ConfigValue? = nil, range: ClosedRange<Double>? = nil,
                 help: String) {
        self.name = name; self.kind = kind; self.required = required; self.defaultValue = defaultValue; self.range = range; self.help = help
    }

    /// The default as the manifests would write it and the reference shows it: `true`, `20`, `24h`, `[22, 3389]`.
    package var defaultText: String? { defaultValue.map(Self.text) }

    private static func text(_ value: ConfigValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .list(let items): "[" + items.map(text).joined(separator: ", ") + "]"
        case .map(let entries): "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}

/// One credential role of a source kind: the manifests name the environment variable holding it
/// (`credentials: {token: GITHUB_TOKEN}`); a role left out reads its default variable.
package struct CredentialRole: Sendable, Equatable {
    package var name: String
    /// Whether the source needs it to be read at all (an optional one enables more: a webhook, a session).
    package var required: Bool
    /// The variable read when the manifests do not name one. A required role without a default must be named.
    package var defaultVariable: String?
    package var help: String

    package init(_ name: String, required: Bool = true, default defaultVariable: String? = nil, help: String) {
        self.name = name; self.required = required; self.defaultVariable = defaultVariable; self.help = help
    }
}
